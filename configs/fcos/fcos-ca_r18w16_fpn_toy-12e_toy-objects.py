# Tiny class-agnostic FCOS (boxes only) for CPU: the same ResNet-18 (16 base
# channels) + 64-channel FPN (P3-P7) and box head as the toy CondInst, so its
# backbone, neck and box head transfer into the toy CondInst. DAP's CAM
# pseudo labels have no masks: this is the toy warmup detector of the DAP
# pipeline.
# Starts from random weights: a toy model, not a paper recipe (those start
# from ImageNet, docs/recipes.md).
_base_ = [
    '../_base_/models/fcos-ca_r50_fpn.py',
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
    bbox_head=dict(in_channels=64, feat_channels=64, stacked_convs=2))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='ClassAgnostic'),
    dict(type='RandomResize', scale=[(128, 128), (160, 160)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(metric='bbox')
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
