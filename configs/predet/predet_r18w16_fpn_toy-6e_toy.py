# PreDet pretraining of a tiny ResNet-18 (16 base channels) + FPN on the toy
# unlabeled images (no labels): two 128 px views per image, 16 query boxes
# drawn at random in every iteration from each image's 100 best edge-density
# proposals, contrastive RPN + contrastive RoI head (InfoNCE, tau 0.07).
# The paper's settings (docs/predet.md lists them with their keys) are the
# defaults here, except where a toy model on 2 CPU cores cannot take them:
# 128 px views (paper: 480), a 64-channel FPN, 256 CRPN proposals per image
# (max_per_img; Detectron's default is larger), batch 8 at lr 0.02 (paper:
# 1024 at 0.2, four x0.1 steps over 540k iterations).
# Transfer: backbone + neck into the toy Mask R-CNN / RetinaNet / CondInst
# with tools/model_converters/transfer.py (docs/predet.md).
# Starts from random weights: a toy model, not a paper recipe (those start
# from ImageNet, docs/recipes.md).
#   python tools/train.py configs/predet/predet_r18w16_fpn_toy-6e_toy.py
_base_ = ['../_base_/default_runtime.py']

image_size = 128  # paper Sec. 4.1: 480 x 480 (too slow for a toy CPU run)
num_queries = 16  # paper Sec. 4.1: "We randomly sample 16 EdgeBoxes"
# the pool the queries are drawn from: the paper gives no size; ours
query_pool_size = 100
model = dict(
    type='PreDet',
    data_preprocessor=dict(
        type='TwoViewDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        type='FPN', in_channels=[16, 32, 64, 128], out_channels=64,
        num_outs=5),
    rpn_head=dict(
        type='ContrastiveRPNHead',
        in_channels=64,
        feat_channels=64,
        embed_dims=32,
        query_in_dims=64 * 7 * 7,
        query_hidden=128,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        # paper Sec. 3.2.1: 128 positive + 128 negative anchors, IoU 0.7 / 0.3
        sampler=dict(
            type='RandomSampler',
            num=256,
            pos_fraction=0.5,
            neg_pos_ub=-1,
            add_gt_as_proposals=False),
        # paper Sec. 3.2.1: a zero-overlap anchor is scored for a random
        # query ('first': query 0)
        zero_iou_query='random',
        max_per_img=256),
    roi_head=dict(
        type='ContrastiveRoIHead',
        in_dims=64 * 7 * 7,
        hidden=256,
        embed_dims=64,
        tau=0.07,  # paper Sec. 3.2.2
        max_negatives=512),  # |P_neg|, paper Sec. 4.1
    roi_extractor=dict(
        type='SingleRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=64,
        featmap_strides=[4, 8, 16, 32]),
    num_classes=0,
    # paper Sec. 3.1 ([34]'s multi-label loss); 'bce' for sigmoid BCE
    cls_loss='softmax_khot',
    # paper Sec. 4.1: queries drawn at random per image and iteration;
    # 'topk' takes the pool's first num_queries every time
    num_queries=num_queries,
    pool_size=query_pool_size,
    query_sampling='random')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # the pool (fixed per image, as precomputed EdgeBoxes would be); the
    # model draws num_queries of it in every iteration
    dict(type='EdgeQueries', num=query_pool_size, seed=0),
    dict(type='TwoViews', out_size=(image_size, image_size)),
    dict(type='PackTwoViewInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ImageDataset',
        data_root='data/toy/',
        ann_file='annotations/unlabeled.json',
        data_prefix=dict(img='images/unlabeled/'),
        pipeline=train_pipeline))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=10., norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=6, T_max=6)
]
# no DetVisualizationHook: PreDet predicts no boxes
default_hooks = dict(
    _delete_=True,
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
log_processor = dict(window_size=10)
# switch single loss terms off (Table 1 ablation) with e.g.
#   --cfg-options model.losses.cls=False find_unused_parameters=True
