# 36 epochs over the 100 labeled images: 100 warmup iterations, lr 0.01,
# step decay at epochs 28 and 34, one validation at the end.
_base_ = '../../../configs/_base_/schedules/schedule_1x.py'

train_cfg = dict(max_epochs=36, val_interval=36)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=36,
        by_epoch=True,
        milestones=[28, 34],
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
