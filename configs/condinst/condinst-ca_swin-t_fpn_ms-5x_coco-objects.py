# Class-agnostic CondInst, SWIN-T-FPN, COCO objects, weak (multi-scale) augmentation, 5x schedule.
_base_ = [
    '../_base_/models/condinst-ca_swin-t_fpn.py',
    '../_base_/datasets/coco_class_agnostic_instance.py',
    '../_base_/schedules/schedule_adamw_5x.py', '../_base_/default_runtime.py'
]
