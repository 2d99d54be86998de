# Class-agnostic CondInst, EfficientNet-Lite0 (ImageNet) FPN, COCO objects.
_base_ = [
    '../_base_/models/condinst-ca_effl0_fpn.py',
    '../_base_/datasets/coco_class_agnostic_instance.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
