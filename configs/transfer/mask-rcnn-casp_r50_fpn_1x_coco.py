# Finetune Mask R-CNN from a CaSP warmed-up class-agnostic CondInst: backbone
# and FPN. Mask R-CNN's FPN starts at C2: the source's C3-C5 laterals and
# P3-P5 outputs go to the same pyramid levels, the C2 lateral and P2 output
# stay fresh; RPN and RoI heads have no counterpart.
# The backbone keeps its ImageNet init (torchvision://resnet50): it is
# the baseline's start when the pipeline drops the transfer; with the
# transfer it is loaded first and then replaced.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmcasp'], allow_failed_imports=False)
model = dict(
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/casp_warmup/epoch_12.pth',
        parts=['backbone', 'neck']))
