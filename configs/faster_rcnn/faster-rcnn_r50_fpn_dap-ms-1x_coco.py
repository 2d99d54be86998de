# DAP's detector pretraining (DAP Sec. 3.1 "Step 3", Sec. 4.1): Faster R-CNN
# R-50-FPN trained on CAM pseudo boxes (the pipeline's warmup) with
# multi-scale augmentation, the short side drawn from (96, 160, 320, 640):
# the smallest is that small because classification images hold large
# central objects. Its backbone starts from the classifier: the pipeline's
# `cam` labeler sets it from its classifier checkpoint
# (labeler.init_backbone); used alone, mmdet's torchvision ImageNet R-50,
# which is the paper's ImageNet-1M classifier. FPN, RPN and RoI heads start
# at random. Classes: the 80 COCO classes (image labels of COCO images);
# set num_classes and metainfo for another label set. The paper trains 40k
# iterations at batch 32 on ImageNet-1M; the schedule here is mmdet's 1x
# (batch 16), rescaled by the pipeline's warmup.epochs.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 96), (1333, 160), (1333, 320), (1333, 640)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
