# Toy transfer target: Mask R-CNN (6 things) at the toy CondInst's width
# (ResNet-18 with 16 base channels, 64-channel FPN, RPN and RoI heads),
# initialised from the CPU demo's warmed-up class-agnostic CondInst:
# backbone and FPN. Its FPN starts at C2: the source's C3-C5 laterals and
# P3-P5 outputs go to the same pyramid levels, C2/P2 stay fresh; RPN and RoI
# heads have no counterpart. The toy counterpart of
# mask-rcnn-casp_r50_fpn_1x_coco.py; see docs/transfer.md.
# Starts from random weights: a toy model, not a paper recipe (those start
# from ImageNet, docs/recipes.md).
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/toy_instance.py',
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
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=128, num_classes=6),
        mask_roi_extractor=dict(out_channels=64),
        mask_head=dict(
            num_convs=2, in_channels=64, conv_out_channels=64, num_classes=6)),
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/demo/warmup/epoch_6.pth',
        parts=['backbone', 'neck']))

optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
