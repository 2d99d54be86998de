# Tiny class-agnostic CondInst on toy *entities* (things + sky/ground/water),
# written by tools/misc/make_toy_dataset.py; evaluation gives AP^e.
_base_ = './condinst-ca_r18w16_fpn_toy-12e_toy-objects.py'

metainfo = dict(classes=('entity', ))
train_dataloader = dict(
    dataset=dict(
        metainfo=metainfo, ann_file='annotations/entities_labeled.json'))
val_dataloader = dict(
    dataset=dict(metainfo=metainfo, ann_file='annotations/entities_val.json'))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_name='entity',
    prefix='entity',
    ann_file='data/toy/annotations/entities_val.json')
test_evaluator = val_evaluator
