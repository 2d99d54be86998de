# Class-specific CondInst (80 COCO classes) with the papers' Swin-T backbone
# (ImageNet-1k Swin-T release, as mmdet's Swin configs), AdamW, weak
# (multi-scale) augmentation, 3x. CaSP Table 2's "ImageNet" row with the
# papers' backbone (Table 2: 46.8 AP^det, 43.0 AP^seg), and the
# class-specific labeler of the Swin-T Objects(P,S) pipeline.
_base_ = [
    '../_base_/models/condinst-ca_swin-t_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_adamw_3x.py', '../_base_/default_runtime.py'
]

model = dict(
    type='CondInst',
    bbox_head=dict(type='CondInstBboxHead', num_classes=80),
    test_cfg=dict(score_thr=0.05))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
