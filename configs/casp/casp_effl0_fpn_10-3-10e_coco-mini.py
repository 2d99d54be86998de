# CaSP on COCO-mini, as benchmarks/coco_mini.py runs it (the benchmark's
# "casp" method; its "baseline" is this config's baseline stage):
# class-agnostic CondInst (ImageNet EfficientNet-Lite0 + FPN) trained on the
# 100 labeled images -> pseudo labels (delta 0.2) on the 323 unlabeled ones
# -> warmup on them -> finetune the 80-class CondInst (backbone, neck, box and
# mask heads transferred). Epochs are the benchmark's gpu profile; its cpu
# profile scales the stage configs and epochs down. Run from the repo root:
#   python benchmarks/coco_mini.py --methods baseline casp ...
#   python tools/casp.py configs/casp/casp_effl0_fpn_10-3-10e_coco-mini.py \
#       --data-root ../shared/data/coco-mini
data_root = 'data/coco-mini'
_ca = 'benchmarks/configs/condinst-ca_effl0_fpn_36e_coco-mini-objects.py'
_cs = 'benchmarks/configs/condinst_effl0_fpn_36e_coco-mini.py'

casp = dict(
    method='CaSP',
    data=dict(
        labeled=dict(ann='annotations/labeled.json', img='images'),
        unlabeled=dict(ann='annotations/unlabeled.json', img='images'),
        val=dict(ann='annotations/val.json', img='images')),
    labeler=dict(config=_ca, epochs=10),
    pseudo=dict(delta=0.2, max_per_image=100, batch_size=8, num_workers=8),
    warmup=dict(config=_ca, epochs=3),
    finetune=dict(
        config=_cs,
        epochs=10,
        parts=['backbone', 'neck', 'head', 'mask_head'],
        classifier='random'),
    seed=0)
