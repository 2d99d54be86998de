# PreDet pretraining at the paper's scale (PreDet Sec. 3.3, 4.1): Faster
# R-CNN + FPN ResNet-50 (../_base_/models/predet_r50_fpn.py) trained from
# scratch with the classification loss and the three detection pretext
# losses on two 480x480 MoCo-v2 views of each image, 16 random queries per
# image, |P_neg| 512, tau 0.07; batch 1024 views = two views of 512 images
# on 128 GPUs (4 images per GPU), SGD lr 0.2, 540k iterations, lr x0.1 in
# four uniform steps. The paper's default data, IG-50M (49.93M Instagram
# images, 1209 hashtag classes), is not public; this config reads
# ImageNet-1k with its labels (the paper's "PreDet-ImageNet", Table 2):
# images listed in a COCO-style json whose annotations' category_id are each
# image's labels (ImageDataset, with_labels). For IG-50M-like data set
# model.num_classes to its number of classes.
#   bash tools/slurm_train.sh PARTITION predet configs/predet/predet_r50_fpn_540k_imagenet-labels.py \
#       work_dirs/predet_r50 --cfg-options train_dataloader.dataset.data_root=data/imagenet/
# (128 GPUs; with fewer, keep 4 images per GPU and pass --auto-scale-lr.)
# Finetune: configs/transfer/mask-rcnn-predet_r50_fpn_ms-1x_coco.py.
_base_ = ['../_base_/models/predet_r50_fpn.py', '../_base_/default_runtime.py']

image_size = 480  # PreDet Sec. 4.1: "input ... 480 x 480"
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # the pool of query boxes (fixed per image, as precomputed EdgeBoxes);
    # the model draws 16 of them in every iteration (docs/predet.md:
    # edge-density proposals stand in for EdgeBoxes)
    dict(type='EdgeQueries', num=100, seed=0),
    # MoCo-v2 augmentations (PreDet Sec. 4.1)
    dict(type='TwoViews', out_size=(image_size, image_size)),
    dict(type='PackTwoViewInputs')
]
train_dataloader = dict(
    batch_size=4,  # x 128 GPUs = 512 images = 1024 views (PreDet Sec. 4.1)
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ImageDataset',
        data_root='data/imagenet/',
        ann_file='annotations/imagenet_train_labels.json',
        data_prefix=dict(img='train/'),
        with_labels=True,
        pipeline=train_pipeline))

# PreDet Sec. 4.1: 540k iterations, lr 0.2 reduced x0.1 in four uniform
# steps (our reading: after each fifth of the run); SGD momentum and weight
# decay are detectron2's defaults (not stated)
max_iters = 540000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4),
    # mmcasp's deviation (docs/predet.md): plain SGD diverged without it
    clip_grad=dict(max_norm=10., norm_type=2))
param_scheduler = [
    # linear warm-up: detectron2's default (not stated)
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[108000, 216000, 324000, 432000],
        gamma=0.1)
]
# the lr above is for 512 images (1024 views) per iteration
auto_scale_lr = dict(enable=False, base_batch_size=512)
# no DetVisualizationHook and no validation: PreDet predicts no boxes
default_hooks = dict(
    _delete_=True,
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=20000,
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
log_processor = dict(by_epoch=False)
