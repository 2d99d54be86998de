# Class-agnostic CondInst, R50-FPN, COCO entities, weak (multi-scale) augmentation, 5x schedule:
# the entity warmup (late pretraining) of CaSP Table 2's Entities(P,A) row.
_base_ = [
    '../_base_/models/condinst-ca_r50_fpn.py',
    '../_base_/datasets/coco_entities.py',
    '../_base_/schedules/schedule_5x.py', '../_base_/default_runtime.py'
]
