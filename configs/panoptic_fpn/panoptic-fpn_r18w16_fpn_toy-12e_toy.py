# Tiny PanopticFPN on the toy panoptic labels (6 thing + 3 stuff classes):
# a PanopticFPN finetuning target of the pipeline on CPU. Same ResNet-18
# (16 base channels) as the toy CondInst; its FPN starts at C2, so the
# surgery maps CondInst's C3-C5 FPN convs by pyramid level.
# Starts from random weights: a toy model, not a paper recipe (those start
# from ImageNet, docs/recipes.md).
#   python tools/casp.py configs/casp/casp_r18w16_fpn_toy-demo-panoptic_toy.py
_base_ = 'mmdet::panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmcasp'], allow_failed_imports=False)
thing_classes = ('disk', 'ring', 'square', 'frame', 'triangle', 'cross')
stuff_classes = ('sky', 'ground', 'water')
metainfo = dict(
    classes=thing_classes + stuff_classes,
    thing_classes=thing_classes,
    stuff_classes=stuff_classes,
    palette=[(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230),
             (106, 0, 228), (0, 60, 100), (135, 206, 235), (139, 69, 19),
             (0, 105, 148)])
num_things, num_stuff = len(thing_classes), len(stuff_classes)

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
        bbox_head=dict(
            in_channels=64, fc_out_channels=128, num_classes=num_things),
        mask_roi_extractor=dict(out_channels=64),
        mask_head=dict(
            num_convs=2,
            in_channels=64,
            conv_out_channels=64,
            num_classes=num_things)),
    semantic_head=dict(
        num_things_classes=num_things,
        num_stuff_classes=num_stuff,
        in_channels=64,
        inner_channels=32,
        norm_cfg=dict(type='GN', num_groups=8, requires_grad=True)),
    panoptic_fusion_head=dict(
        num_things_classes=num_things, num_stuff_classes=num_stuff),
    test_cfg=dict(
        rcnn=dict(score_thr=0.3),
        panoptic=dict(mask_overlap=0.5, stuff_area_limit=64)))

data_root = 'data/toy/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPanopticAnnotations'),
    dict(type='RandomResize', scale=[(128, 128), (160, 160)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadPanopticAnnotations'),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/panoptic_labeled.json',
        data_prefix=dict(
            img='images/labeled/', seg='annotations/panoptic_labeled/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/panoptic_val.json',
        data_prefix=dict(img='images/val/', seg='annotations/panoptic_val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=data_root + 'annotations/panoptic_val.json',
    seg_prefix=data_root + 'annotations/panoptic_val/')
test_evaluator = val_evaluator

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
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=10))
log_processor = dict(window_size=10)
