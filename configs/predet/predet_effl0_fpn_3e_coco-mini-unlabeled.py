# PreDet on the 323 unlabeled COCO-mini images (no labels), EfficientNet-Lite0
# (ImageNet weights, loaded from the installed package) + a 64-channel FPN
# from C2, two 192 px views: a CPU-scaled run (a few minutes on 2 cores).
# For a GPU run raise image_size, the FPN width and the epochs.
#   python tools/train.py configs/predet/predet_effl0_fpn_3e_coco-mini-unlabeled.py \
#       --cfg-options train_dataloader.dataset.data_root=../shared/data/coco-mini/
_base_ = './predet_r18w16_fpn_toy-6e_toy.py'

image_size = 192  # paper Sec. 4.1: 480 (CPU-scaled here)
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
    neck=dict(in_channels=[24, 40, 112, 320], out_channels=64))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # a pool of 100 per image (the base config's query_pool_size); the model
    # draws 16 queries from it in every iteration (paper Sec. 4.1)
    dict(type='EdgeQueries', num=100, seed=0),
    dict(type='TwoViews', out_size=(image_size, image_size)),
    dict(type='PackTwoViewInputs')
]
train_dataloader = dict(
    dataset=dict(
        data_root='data/coco-mini/',
        ann_file='annotations/unlabeled.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
train_cfg = dict(max_epochs=3)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=3, T_max=3)
]
