# DAP's PASCAL VOC finetune schedule (DAP Sec. 4.1): 14 epochs, lr 0.01
# reduced to 0.001 at the 10th epoch (after 10 epochs here), batch 16 (2
# images x 8 GPUs: 14 epochs of VOC 2007 trainval are the paper's "4.5K
# steps"); SGD momentum 0.9, weight decay 1e-4 (DAP Sec. 4.1, IN-1M
# experiments; 1e-5 for IN-14M); mmdet's 500-iteration linear warm-up.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=14, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=14,
        by_epoch=True,
        milestones=[10],
        gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=16)
