# As retinanet-casp_r50_fpn_1x_coco.py with a 3x (36-epoch) schedule.
_base_ = './retinanet-casp_r50_fpn_1x_coco.py'

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=36, val_interval=1)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=36,
        by_epoch=True,
        milestones=[27, 33],
        gamma=0.1)
]
