# Benchmark DAP warmup detector: class-agnostic FCOS (boxes only: CAM
# pseudo labels have no masks) with the labeler's EfficientNet-Lite0 + FPN,
# so backbone, neck and box head transfer into the CondInst target.
_base_ = [
    '../../configs/_base_/models/fcos-ca_r50_fpn.py',
    './_base_/coco-mini_objects.py', './_base_/schedule_36e.py',
    '../../configs/_base_/default_runtime.py'
]

model = dict(
    # the EfficientNet-Lite weights expect (x - 127) / 128 on RGB input
    data_preprocessor=dict(mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        pretrained='imagenet',
        out_indices=(2, 3, 4, 5),
        frozen_stages=0,
        norm_eval=False),
    neck=dict(in_channels=[24, 40, 112, 320]))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='ClassAgnostic'),
    dict(
        type='RandomChoiceResize',
        scales=[(512, 384), (512, 416), (512, 448), (512, 480), (512, 512)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
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
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=36, max_keep_ckpts=1))
