# Finetune class-specific CondInst (80 classes) from a CaSP warmed-up
# class-agnostic CondInst: backbone, neck, box head, mask head transferred;
# classifier random (classifier='replicate' copies the object channel to
# all 80 classes; 'copy' needs a source with the same classes).
# Point model.init_cfg.checkpoint at your warmup checkpoint, e.g.
#   --cfg-options model.init_cfg.checkpoint=work_dirs/warmup/epoch_12.pth
# The backbone keeps its ImageNet init (torchvision://resnet50): it is
# the baseline's start when the pipeline drops the transfer; with the
# transfer it is loaded first and then replaced.
_base_ = [
    '../_base_/models/condinst-ca_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]

model = dict(
    type='CondInst',
    bbox_head=dict(type='CondInstBboxHead', num_classes=80),
    test_cfg=dict(score_thr=0.05),
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/casp_warmup/epoch_12.pth',
        parts=['backbone', 'neck', 'head', 'mask_head'],
        classifier='random'))
