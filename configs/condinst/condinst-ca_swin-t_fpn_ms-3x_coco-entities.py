# Class-agnostic CondInst, SWIN-T-FPN, COCO entities, weak (multi-scale) augmentation, 3x schedule.
_base_ = [
    '../_base_/models/condinst-ca_swin-t_fpn.py',
    '../_base_/datasets/coco_entities.py',
    '../_base_/schedules/schedule_adamw_3x.py', '../_base_/default_runtime.py'
]
