# Finetune RetinaNet (80 classes) from a CaSP warmed-up class-agnostic
# CondInst: backbone, FPN C3-C5 laterals and P3-P5 outputs (RetinaNet's P6
# conv reads C5, CondInst's reads P5: kept fresh), and the conv weights of
# the two head towers (GroupNorm has no counterpart); anchor-based
# regression stays fresh; classifier random or replicated over anchors x
# classes.
# The backbone keeps its ImageNet init (torchvision://resnet50): it is
# the baseline's start when the pipeline drops the transfer; with the
# transfer it is loaded first and then replaced.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmcasp'], allow_failed_imports=False)
model = dict(
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/casp_warmup/epoch_12.pth',
        parts=['backbone', 'neck', 'head'],
        classifier='random'))
