# Entities (things + stuff) with strong augmentation; see coco_entities.py.
_base_ = './coco_class_agnostic_instance_strong.py'

metainfo = dict(classes=('entity', ))
train_dataloader = dict(
    dataset=dict(
        metainfo=metainfo,
        ann_file='annotations/entities_train2017.json',
        data_prefix=dict(img='train2017/')))
val_dataloader = dict(
    dataset=dict(
        metainfo=metainfo,
        ann_file='annotations/entities_val2017.json',
        data_prefix=dict(img='val2017/')))
test_dataloader = val_dataloader
val_evaluator = dict(
    class_name='entity',
    prefix='entity',
    ann_file='data/coco/annotations/entities_val2017.json')
test_evaluator = val_evaluator
