# Tiny class-agnostic CondInst for CPU: ResNet-18 with 16 base channels,
# 64-channel FPN and heads, 128 px toy images. Used by the demo and tests.
_base_ = [
    '../_base_/models/condinst-ca_r50_fpn.py',
    '../_base_/datasets/toy_class_agnostic_instance.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
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

train_cfg = dict(max_epochs=12, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=12,
        by_epoch=True,
        milestones=[9, 11],
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
