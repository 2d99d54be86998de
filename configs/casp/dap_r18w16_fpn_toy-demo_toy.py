# DAP as the paper describes it (DAP Sec. 3.1, 4.1), end to end on the
# generated toy data, sized for 2 CPU cores. The toy unlabeled split plays
# the weakly labelled pretraining set: its image-level labels are the
# classes present in each image (the hidden ground truth's categories; its
# boxes are never read).
#   1. classifier pretraining: a ResNet-18/16 + pooling + linear classifier
#      learns the image labels (the labeler stage);
#   2. pseudo boxes: CAMs of each image's ground-truth classes (raw CAM
#      min-max normalised, tau 0.2-0.5, components, moments, NMS 0.8),
#      class-specific boxes;
#   3. detector pretraining: Faster R-CNN FPN on those boxes with
#      multi-scale training, its backbone from the classifier (warmup);
#   4. finetune a Faster R-CNN on the labeled split from every pretrained
#      weight but the last layers (RoI classifier and box regressor).
# The baseline is the same finetune from the classifier's backbone alone
# (the paper's classification pretraining, "CLS").
#   python tools/casp.py configs/casp/dap_r18w16_fpn_toy-demo_toy.py
# dap-ca_r18w16_fpn_toy-demo_toy.py is the variant for images without any
# label: top-1 ImageNet class, class-agnostic boxes, FCOS -> CondInst.
_base_ = './casp_r18w16_fpn_toy-demo_toy.py'

casp = dict(
    method='DAP',
    data=dict(
        unlabeled=dict(image_labels='annotations/instances_unlabeled.json')),
    labeler=dict(
        _delete_=True,
        type='cam',
        classifier_config=  # noqa: E251
        'configs/classifier/image-cls_r18w16_gap_toy-30e_toy-labels.py',
        init_backbone=True,
        # the toy images are 128 px: twice and four times the classifier's
        # stride-32 grid of 4 x 4 cells at 128 px (paper: 288 and 576 px
        # on ImageNet)
        scales=[128, 256]),
    pseudo=dict(class_specific=True),
    warmup=dict(
        config='configs/faster_rcnn/faster-rcnn_r18w16_fpn_ms-toy-12e_toy.py',
        epochs=6),
    finetune=dict(
        config='configs/faster_rcnn/faster-rcnn_r18w16_fpn_toy-12e_toy.py',
        epochs=12,
        parts=['backbone', 'neck', 'rpn_head', 'roi_head'],
        classifier='random'))
