# Class-specific CondInst (80 classes) with the Swin-T backbone of the
# CaSP / CA-SSL papers (CaSP Sec. 4 "Implementation"), finetuned 3x (36
# epochs, AdamW as the class-agnostic Swin-T configs) with multi-scale
# training (short side 640-800) from a CaSP warmed-up class-agnostic Swin-T
# CondInst (e.g. ../condinst/condinst-ca_swin-t_fpn_ms-5x_coco-objects.py):
# backbone, neck, box head, mask head transferred; classifier random. The
# target of configs/casp/casp_swin-t_fpn_5x-3x_coco.py.
# Point model.init_cfg.checkpoint at your warmup checkpoint. The backbone
# keeps its ImageNet Swin-T init (the baseline's start; with the transfer it
# is loaded first and then replaced).
_base_ = [
    '../_base_/models/condinst-ca_swin-t_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_adamw_3x.py', '../_base_/default_runtime.py'
]

model = dict(
    type='CondInst',
    bbox_head=dict(type='CondInstBboxHead', num_classes=80),
    test_cfg=dict(score_thr=0.05),
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/casp_warmup/epoch_60.pth',
        parts=['backbone', 'neck', 'head', 'mask_head'],
        classifier='random'))

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
