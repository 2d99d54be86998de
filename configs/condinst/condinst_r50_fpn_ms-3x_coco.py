# Class-specific CondInst (80 COCO classes), R50-FPN from torchvision's
# ImageNet weights, weak (multi-scale: short side 640-800) augmentation, 3x
# (36 epochs). CaSP Table 2's "ImageNet" row trained alone (the same model
# and schedule as the CaSP finetune, configs/transfer/
# condinst-casp_r50_fpn_ms-3x_coco.py, without the transfer: what the
# pipeline's baseline stage trains), and the class-specific labeler of the
# Objects(P,S) row (configs/casp/casp-cs_r50_fpn_5x-3x_coco.py).
#   bash tools/dist_train.sh configs/condinst/condinst_r50_fpn_ms-3x_coco.py 8
_base_ = [
    '../_base_/models/condinst-ca_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_3x.py', '../_base_/default_runtime.py'
]

model = dict(
    type='CondInst',
    bbox_head=dict(type='CondInstBboxHead', num_classes=80),
    test_cfg=dict(score_thr=0.05))

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
