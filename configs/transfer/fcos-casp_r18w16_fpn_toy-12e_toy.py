# Toy transfer target: class-specific FCOS (6 things, boxes only) at the toy
# CondInst's width (ResNet-18 with 16 base channels, 64-channel FPN P3-P7 and
# head), initialised from the CPU demo's warmed-up class-agnostic CondInst:
# backbone, neck and box head (towers, regression, centerness, scales). The
# toy counterpart of fcos-casp_r50_fpn_1x_coco.py; see docs/transfer.md.
# Starts from random weights: a toy model, not a paper recipe (those start
# from ImageNet, docs/recipes.md).
_base_ = [
    '../_base_/models/fcos-ca_r50_fpn.py',
    '../_base_/datasets/toy_detection.py',
    '../_base_/schedules/schedule_toy-12e.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    bbox_head=dict(
        num_classes=6, in_channels=64, feat_channels=64, stacked_convs=2),
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/demo/warmup/epoch_6.pth',
        parts=['backbone', 'neck', 'head'],
        classifier='random'))

default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
