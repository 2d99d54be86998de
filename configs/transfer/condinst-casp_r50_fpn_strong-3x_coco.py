# As condinst-casp_r50_fpn_3x_coco.py (class-specific CondInst, 80 classes,
# 36 epochs, from a CaSP warmup checkpoint) with the strong augmentation of
# the CaSP / CA-SSL papers (CaSP Sec. 4, Table 8: jitter of scale,
# brightness, contrast): the pipeline of
# ../_base_/datasets/coco_class_agnostic_instance_strong.py without its
# ClassAgnostic step -- large scale jitter (0.1-2.0 of 1024), random crop,
# photometric distortion, flip.
_base_ = './condinst-casp_r50_fpn_3x_coco.py'

image_size = (1024, 1024)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomResize',
        scale=image_size,
        ratio_range=(0.1, 2.0),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_type='absolute_range',
        crop_size=image_size,
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
