# Finetune PanopticFPN from a CaSP warmed-up class-agnostic CondInst (or an
# entity labeler): backbone and FPN, matched by pyramid level as for
# Mask R-CNN (FPN from C2). Needs panopticapi (PyPI panopticapi-lite).
# The backbone keeps its ImageNet init (torchvision://resnet50): it is
# the baseline's start when the pipeline drops the transfer; with the
# transfer it is loaded first and then replaced.
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmcasp'], allow_failed_imports=False)
model = dict(
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/casp_warmup/epoch_12.pth',
        parts=['backbone', 'neck']))
