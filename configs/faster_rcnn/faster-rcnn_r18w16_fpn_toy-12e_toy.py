# Tiny class-specific Faster R-CNN on the toy things (6 classes, boxes only)
# at the toy CondInst's width: ResNet-18 with 16 base channels, 64-channel
# FPN (P2-P6), RPN and RoI heads. DAP's detector (Faster R-CNN FPN, DAP Sec.
# 3.2 "Architecture"): the toy DAP pipeline's finetune target and baseline;
# faster-rcnn_r18w16_fpn_ms-toy-12e_toy.py is the pretraining variant.
# Starts from random weights: a toy model, not a paper recipe (those start
# from ImageNet, docs/recipes.md).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
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
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=128, num_classes=6)))

optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
