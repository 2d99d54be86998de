# DAP's downstream finetune (DAP Sec. 3.1 "Step 4", Sec. 4.1): a COCO
# Faster R-CNN R-50-FPN initialised from every weight of the DAP-pretrained
# detector (faster-rcnn_r50_fpn_dap-ms-1x_coco.py) but the last layers, which
# depend on the number of categories: backbone, FPN, RPN and the RoI head's
# shared layers are transferred; the RoI classifier and box regressor start
# at random. mmdet's 1x schedule is the paper's: batch 16, lr 0.02, x0.1 at
# about 60k and 80k of about 90k iterations, short side 800, frozen BN and
# first ResNet stage.
# The backbone keeps its ImageNet init (torchvision://resnet50): it is
# the baseline's start when the pipeline drops the transfer; with the
# transfer it is loaded first and then replaced.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmcasp'], allow_failed_imports=False)
model = dict(
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/dap_warmup/epoch_12.pth',
        parts=['backbone', 'neck', 'rpn_head', 'roi_head']))
