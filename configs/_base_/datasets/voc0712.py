# PASCAL VOC 07+12 (DAP Sec. 4.1: trainval2007 + trainval2012; the paper's
# "11,540 images in total" is VOC 2012 trainval alone, 07+12 holds 16,551),
# scored on VOC 2007 test, otherwise as ./voc07.py (short side 640, AP50 as
# area and 11-point).
_base_ = './voc07.py'

voc12_trainval = dict(
    type='VOCDataset',
    data_root={{_base_.data_root}},
    ann_file='VOC2012/ImageSets/Main/trainval.txt',
    data_prefix=dict(sub_data_root='VOC2012/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
    pipeline={{_base_.train_pipeline}},
    backend_args=None)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        # VOCDataset adds its year as dataset_type to the metainfo
        ignore_keys=['dataset_type'],
        datasets=[{{_base_.voc07_trainval}}, voc12_trainval]))
