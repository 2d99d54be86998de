# Benchmark labeler: class-agnostic CondInst, ImageNet EfficientNet-Lite0,
# trained on the 100 labeled COCO-mini images (every category -> object).
# data_root: a copy of ../shared/data/coco-mini (set with --cfg-options).
_base_ = [
    '../../configs/_base_/models/condinst-ca_effl0_fpn.py',
    './_base_/coco-mini_objects.py', './_base_/schedule_36e.py',
    '../../configs/_base_/default_runtime.py'
]

default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=36, max_keep_ckpts=1))
