# DAP's PASCAL VOC 2007 finetune (DAP Sec. 3.1 "Step 4", Sec. 4.1, Table 2):
# Faster R-CNN R-50-FPN (20 classes) initialised from every weight of the
# DAP-pretrained detector (configs/faster_rcnn/faster-rcnn_r50_fpn_dap-ms-1x_coco.py
# trained on CAM boxes) but the class-dependent last layers: backbone, FPN,
# RPN and the RoI head's shared layers; RoI classifier and box regressor
# random. Trained on VOC 2007 trainval for 14 epochs at batch 16, lr 0.01 ->
# 0.001 after epoch 10, short side 640, frozen BN and first ResNet stage
# (DAP Sec. 4.1: "fixed BatchNorm and freeze the first conv block"); scored
# on VOC 2007 test (AP50, area and 11-point). The backbone keeps torchvision's
# ImageNet init: dropping the transfer gives the paper's CLS baseline (the
# IN-1M classifier is torchvision's); with the transfer it is loaded first
# and then replaced.
#   python tools/train.py configs/transfer/faster-rcnn-dap_r50_fpn_14e_voc07.py \
#       --cfg-options model.init_cfg.checkpoint=work_dirs/dap_warmup/epoch_12.pth
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/voc07.py', '../_base_/schedules/schedule_voc-14e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    roi_head=dict(bbox_head=dict(num_classes=20)),
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/dap_warmup/epoch_12.pth',
        parts=['backbone', 'neck', 'rpn_head', 'roi_head']))
