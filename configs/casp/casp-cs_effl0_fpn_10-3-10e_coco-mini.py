# CaSP with class-specific pseudo labels on COCO-mini (the papers'
# Objects(P,S) ablation; the benchmark's "casp-cs" method): labeler and warmup
# are the 80-class CondInst, the pseudo labels keep its classes, and the
# finetune copies its classifier.
_base_ = './casp_effl0_fpn_10-3-10e_coco-mini.py'
_cs = 'benchmarks/configs/condinst_effl0_fpn_36e_coco-mini.py'

casp = dict(
    method='CaSP, class-specific pseudo labels',
    labeler=dict(config=_cs),
    pseudo=dict(class_specific=True),
    warmup=dict(config=_cs),
    finetune=dict(classifier='copy'))
