# DAP's detector pretraining (Sec. 4.1) at toy scale: the toy Faster R-CNN
# trained with multi-scale augmentation, the short side drawn from a set at
# each iteration. The paper draws it from (96, 160, 320, 640) on ImageNet
# images (about 400 px): from a quarter to 1.6x their size. The toy images
# are 128 px, so the set here is (64, 96, 128, 192), the same span of
# relative sizes without the 5x upsampling of 640 px, which a CPU cannot
# afford; faster-rcnn_r50_fpn_dap-ms-1x_coco.py has the paper's set.
_base_ = './faster-rcnn_r18w16_fpn_toy-12e_toy.py'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 64), (1333, 96), (1333, 128), (1333, 192)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
