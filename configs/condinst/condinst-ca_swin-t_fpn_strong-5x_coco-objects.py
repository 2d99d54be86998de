# Class-agnostic CondInst, SWIN-T-FPN, COCO objects, strong (scale jitter + colour) augmentation, 5x schedule.
_base_ = [
    '../_base_/models/condinst-ca_swin-t_fpn.py',
    '../_base_/datasets/coco_class_agnostic_instance_strong.py',
    '../_base_/schedules/schedule_5x.py', '../_base_/default_runtime.py'
]
optim_wrapper = dict(
    type='OptimWrapper',
    _delete_=True,
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'absolute_pos_embed': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.)
        }),
    clip_grad=dict(max_norm=35, norm_type=2))
