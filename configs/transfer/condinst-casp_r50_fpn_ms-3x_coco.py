# As condinst-casp_r50_fpn_3x_coco.py (class-specific CondInst, 80 classes,
# 36 epochs, from a CaSP warmup checkpoint) with the weak augmentation of
# the CaSP / CA-SSL papers ("conventional multi-scale training", CaSP
# Sec. 4): the short side drawn from 640-800 in steps of 32 (the scales of
# ../_base_/datasets/coco_class_agnostic_instance.py), horizontal flip.
_base_ = './condinst-casp_r50_fpn_3x_coco.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
