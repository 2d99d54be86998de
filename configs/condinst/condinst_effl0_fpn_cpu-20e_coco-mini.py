# As condinst-ca_effl0_fpn_cpu-20e_coco-mini-objects.py (CPU-sized,
# EfficientNet-Lite0, 160 px, 64-channel heads, 20 epochs), class-specific:
# the 80 COCO classes. The finetune and baseline of
# configs/casp/casp_effl0_fpn_cpu-20-3-20e_coco-mini.py; for your own data
# set num_classes and metainfo=dict(classes=...).
_base_ = './condinst-ca_effl0_fpn_cpu-20e_coco-mini-objects.py'

model = dict(
    type='CondInst',
    bbox_head=dict(type='CondInstBboxHead', num_classes=80),
    test_cfg=dict(score_thr=0.05))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='LoadAnnotations', with_bbox=True, with_mask=True,
        poly2mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(160, 120), (160, 130), (160, 140), (160, 150), (160, 160)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    dataset=dict(type='CocoDataset', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type='CocoDataset'))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', metric=['bbox', 'segm'])
test_evaluator = val_evaluator
