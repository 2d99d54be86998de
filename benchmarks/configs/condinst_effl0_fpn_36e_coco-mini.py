# Benchmark target detector: class-specific CondInst (80 COCO classes),
# ImageNet EfficientNet-Lite0, the same input and schedule as the
# class-agnostic labeler. Finetuned on the 100 labeled COCO-mini images
# (baseline, CaSP, DAP, PreDet) and, as labeler and warmup, the
# class-specific pseudo-label ablation.
_base_ = './condinst-ca_effl0_fpn_36e_coco-mini-objects.py'

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
        scales=[(512, 384), (512, 416), (512, 448), (512, 480), (512, 512)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
# mmdet's CocoDataset: the 80 COCO classes
train_dataloader = dict(
    dataset=dict(type='CocoDataset', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type='CocoDataset'))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', metric=['bbox', 'segm'])
test_evaluator = val_evaluator
