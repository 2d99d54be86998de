# Tiny class-specific CondInst on the toy things (6 classes): the target
# detector CaSP finetunes on the CPU demo, and the baseline.
_base_ = './condinst-ca_r18w16_fpn_toy-12e_toy-objects.py'

classes = ('disk', 'ring', 'square', 'frame', 'triangle', 'cross')
metainfo = dict(classes=classes)
model = dict(
    type='CondInst',
    bbox_head=dict(type='CondInstBboxHead', num_classes=len(classes)),
    test_cfg=dict(score_thr=0.05))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True,
         poly2mask=True),
    dict(
        type='RandomResize', scale=[(128, 128), (160, 160)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    dataset=dict(
        type='CocoDataset', metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type='CocoDataset', metainfo=metainfo))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file='data/toy/annotations/instances_val.json',
    metric=['bbox', 'segm'])
test_evaluator = val_evaluator
