# Tiny class-agnostic CondInst for CPU: ResNet-18 with 16 base channels,
# 64-channel FPN and heads, 128 px toy images. Used by the demo and tests.
# Starts from random weights: a toy model, not a paper recipe (those start
# from ImageNet, docs/recipes.md).
_base_ = [
    '../_base_/models/condinst-ca_r50_fpn.py',
    '../_base_/datasets/toy_class_agnostic_instance.py',
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
    bbox_head=dict(in_channels=64, feat_channels=64, stacked_convs=2),
    mask_head=dict(
        max_masks_to_train=64,
        mask_feature_head=dict(
            in_channels=64, feat_channels=32, num_stacked_convs=2)))

default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
