# 12 short epochs for the tiny CPU models on the toy data: 50 warmup
# iterations, lr 0.01, step decay at epochs 9 and 11, one validation at the
# end.
_base_ = './schedule_1x.py'

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
optim_wrapper = dict(optimizer=dict(lr=0.01))
