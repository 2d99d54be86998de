# The generated toy dataset (python tools/misc/make_toy_dataset.py data/toy)
# with its six thing classes, class-specific: the finetuning data of the toy
# transfer targets (configs/transfer/*_toy-12e_toy.py). Box-only models use
# toy_detection.py.
_base_ = './toy_class_agnostic_instance.py'

classes = ('disk', 'ring', 'square', 'frame', 'triangle', 'cross')
metainfo = dict(classes=classes)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='LoadAnnotations', with_bbox=True, with_mask=True,
        poly2mask=True),
    dict(type='RandomResize', scale=[(128, 128), (160, 160)], keep_ratio=True),
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
