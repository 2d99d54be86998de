# As condinst_swin-t_fpn_ms-3x_coco.py with the AdamW 5x schedule (60
# epochs): the class-specific Swin-T warmup of CaSP Table 2's Objects(P,S)
# row (configs/casp/casp-cs_swin-t_fpn_5x-3x_coco.py).
_base_ = './condinst_swin-t_fpn_ms-3x_coco.py'

# the 5x schedule (../_base_/schedules/schedule_5x.py)
train_cfg = dict(max_epochs=60)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=60,
        by_epoch=True,
        milestones=[45, 55],
        gamma=0.1)
]
