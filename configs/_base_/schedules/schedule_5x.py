_base_ = './schedule_1x.py'
# 60 epochs, step decay at 45 and 55.
train_cfg = dict(max_epochs=60)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=60,
        by_epoch=True,
        milestones=[45, 55],
        gamma=0.1)
]
