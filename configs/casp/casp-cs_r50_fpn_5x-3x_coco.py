# CaSP Table 2's Objects(P,S) row on full COCO: pretraining on
# *class-specific* pseudo labels (the papers' ablation against class-agnostic
# ones: 47.1 vs 48.1 AP^det after finetuning, CaSP Sec. 4.0.1). The default
# COCO pipeline (casp_r50_fpn_5x-3x_coco.py) with
#   labeler   class-specific CondInst R-50 (80 classes) on train2017, 3x,
#             multi-scale, from ImageNet (the ImageNet row's model)
#   pseudo    its predictions on unlabeled2017 keep their classes, delta 0.2
#   warmup    the same 80-class CondInst on those labels only, 5x
#   finetune  80-class CondInst, 3x, every part transferred and the
#             classifier copied (same classes: classifier='copy')
#   python tools/casp.py configs/casp/casp-cs_r50_fpn_5x-3x_coco.py \
#       --data-root data/coco --work-dir work_dirs/casp_cs_coco
_base_ = './casp_r50_fpn_5x-3x_coco.py'
_cs3x = 'configs/condinst/condinst_r50_fpn_ms-3x_coco.py'
_cs5x = 'configs/condinst/condinst_r50_fpn_ms-5x_coco.py'

casp = dict(
    method='CaSP, class-specific pseudo labels (Objects(P,S))',
    labeler=dict(config=_cs3x),
    pseudo=dict(class_specific=True),
    warmup=dict(config=_cs5x),
    finetune=dict(classifier='copy'))
