# CaSP Table 2's Objects(P,S) row on the generated toy data: the labeler is
# the class-specific toy CondInst (6 classes) trained on the labeled split,
# its pseudo labels keep their classes, the warmup is the same 6-class
# CondInst on them, and the finetune transfers every part with the
# classifier copied (same classes). Toy models start from random weights.
#   python tools/casp.py configs/casp/casp-cs_r18w16_fpn_toy-demo_toy.py
_base_ = './casp_r18w16_fpn_toy-demo_toy.py'
_cs = 'configs/condinst/condinst_r18w16_fpn_toy-12e_toy.py'

casp = dict(
    method='CaSP, class-specific pseudo labels',
    labeler=dict(config=_cs),
    pseudo=dict(class_specific=True),
    warmup=dict(config=_cs),
    finetune=dict(classifier='copy'))
