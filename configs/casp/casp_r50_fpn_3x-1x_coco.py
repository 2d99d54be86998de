# CaSP on full COCO, SHORTER VARIANT (3x warmup / 1x single-scale finetune)
# of the papers' recipe, about half its training; the default COCO pipeline
# with the papers' 5x/3x multi-scale recipe is casp_r50_fpn_5x-3x_coco.py
# (see docs/recipes.md). Class-agnostic CondInst R-50
# labeler on train2017 (3x, multi-scale) -> pseudo labels on unlabeled2017
# (delta 0.2) -> warmup of the same class-agnostic CondInst on the pseudo
# labels only (3x) -> finetune class-specific CondInst on train2017 (1x),
# backbone, neck, box and mask heads transferred; baseline: the same 1x
# finetuning from the plain init.
#
#   bash tools/dist_casp.sh configs/casp/casp_r50_fpn_3x-1x_coco.py 8 \
#       --data-root data/coco --work-dir work_dirs/casp_coco
#
# Labeler, warmup and baseline start their ResNet-50 from torchvision's
# ImageNet weights (torchvision://resnet50, downloaded once into torch's hub
# cache; needs torchvision installed); the finetune receives the warmup's.
# Without network set MMCASP_OFFLINE=1: those stages then start from random
# weights, and the tools say so (docs/get_started.md, offline switch).
_base_ = './casp_r50_fpn_5x-3x_coco.py'

casp = dict(
    warmup=dict(
        config='configs/condinst/condinst-ca_r50_fpn_ms-3x_coco-objects.py'),
    finetune=dict(config='configs/transfer/condinst-casp_r50_fpn_1x_coco.py'))
