# PASCAL VOC 2007 with mmdet's VOCDataset (the VOCdevkit XML annotations) at
# DAP's finetune scale (DAP Sec. 4.1: "The input image's short side is
# 640"; long side capped at 1333): train on VOC 2007 trainval (5,011
# images), score on VOC 2007 test (4,952) with AP50 both as the area under
# the precision-recall curve and as VOC 2007's 11-point metric (DAP Tables
# 2 and 9 report both: AP.5 and AP.5,07metric).
dataset_type = 'VOCDataset'
data_root = 'data/VOCdevkit/'
backend_args = None
voc_scale = (1333, 640)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=voc_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=voc_scale, keep_ratio=True),
    # after the resize: boxes stay in the original image's coordinates
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
voc07_trainval = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='VOC2007/ImageSets/Main/trainval.txt',
    data_prefix=dict(sub_data_root='VOC2007/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
    pipeline=train_pipeline,
    backend_args=backend_args)
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=voc07_trainval)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='VOCMetric', metric='mAP', eval_mode='area', prefix='voc'),
    dict(
        type='VOCMetric',
        metric='mAP',
        eval_mode='11points',
        prefix='voc07_11pt')
]
test_evaluator = val_evaluator
