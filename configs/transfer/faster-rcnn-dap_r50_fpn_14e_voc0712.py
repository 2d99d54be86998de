# As faster-rcnn-dap_r50_fpn_14e_voc07.py, trained on VOC 07+12 trainval
# (16,551 images; DAP Sec. 4.1, Table 2's "VOC 07+12" columns): DAP init of
# backbone, FPN, RPN and RoI head, 14 epochs at batch 16, lr 0.01 -> 0.001
# after epoch 10, short side 640, frozen BN and first ResNet stage; scored on
# VOC 2007 test (AP50, area and 11-point).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/voc0712.py', '../_base_/schedules/schedule_voc-14e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    roi_head=dict(bbox_head=dict(num_classes=20)),
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/dap_warmup/epoch_12.pth',
        parts=['backbone', 'neck', 'rpn_head', 'roi_head']))
