# CPU-sized class-agnostic CondInst: ImageNet EfficientNet-Lite0 (packaged
# weights, nothing downloads) with its stem and first two stages frozen and
# its BN statistics fixed, a 64-channel FPN and heads with 2 stacked
# convolutions, images of 120-160 px (longer side 160), batch 4, 20 epochs
# (lr 0.01, 100 warm-up iterations, x0.1 at epochs 16 and 19): the COCO-mini
# benchmark's `cpu` profile (docs/benchmarks.md) as a config of its own. The
# labeler and warmup of configs/casp/casp_effl0_fpn_cpu-20-3-20e_coco-mini.py,
# the CPU-sized base for your own data (docs/pipeline.md). Data: COCO-mini
# (../shared/data/coco-mini, a copy under data/coco-mini); the pipeline
# replaces the files with its splits.
_base_ = [
    '../_base_/models/condinst-ca_effl0_fpn.py',
    '../_base_/datasets/coco_class_agnostic_instance.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]

width = 64
model = dict(
    backbone=dict(frozen_stages=3, norm_eval=True),
    neck=dict(out_channels=width),
    bbox_head=dict(in_channels=width, feat_channels=width, stacked_convs=2),
    mask_head=dict(
        mask_feature_head=dict(
            in_channels=width, feat_channels=width // 2, num_stacked_convs=2)))

data_root = 'data/coco-mini/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='LoadAnnotations', with_bbox=True, with_mask=True,
        poly2mask=True),
    dict(type='ClassAgnostic'),
    dict(
        type='RandomChoiceResize',
        scales=[(160, 120), (160, 130), (160, 140), (160, 150), (160, 160)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(160, 160), keep_ratio=True),
    dict(
        type='LoadAnnotations', with_bbox=True, with_mask=True,
        poly2mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/labeled.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=8),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=20, val_interval=20)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=20,
        by_epoch=True,
        milestones=[16, 19],
        gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=1, max_keep_ckpts=2))
