# Finetune FCOS (80 classes) from a CaSP warmed-up class-agnostic CondInst:
# backbone, neck (same P3-P7 layout) and box head towers/regression/
# centerness transferred; classifier random or replicated.
# The backbone keeps its ImageNet init (torchvision://resnet50): it is
# the baseline's start when the pipeline drops the transfer; with the
# transfer it is loaded first and then replaced.
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head-center-normbbox-centeronreg-giou_1x_coco.py'  # noqa: E501

custom_imports = dict(imports=['mmcasp'], allow_failed_imports=False)
model = dict(
    # pytorch-style ResNet with ImageNet normalisation, as the CaSP source
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/casp_warmup/epoch_12.pth',
        parts=['backbone', 'neck', 'head'],
        classifier='random'))
