# PreDet (PreDet Sec. 3): Faster R-CNN + FPN ResNet-50 whose RPN and RoI head
# are the contrastive ones (CRPN, CROI) of the query-box lookup pretext task,
# plus the multi-label classification head on every FPN level. Detectron2's
# Faster R-CNN defaults where the paper states nothing (PreDet Sec. 4.1: "the
# default Faster R-CNN hyper-parameters ... wherever possible"): FPN P2-P6 of
# 256 channels, 3 anchor ratios of one scale per level, RoIAlign 7x7, a
# 2-FC box head of 1024, 2000 proposals per level before NMS 0.7 and 1000
# after it in training.
# The backbone starts from scratch: PreDet's pretraining *is* the backbone's
# pretraining (it replaces ImageNet classification; the paper names no
# initialisation), so its initialisers are mmdet's ResNet defaults, given
# explicitly (Kaiming convolutions, unit BN).
model = dict(
    type='PreDet',
    data_preprocessor=dict(
        type='TwoViewDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        # 8 views per GPU (PreDet Sec. 4.1: 1024 views on 128 GPUs): BN
        # statistics over all of them (mmengine reverts SyncBN to BN in a
        # non-distributed run)
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=[
            dict(type='Kaiming', layer='Conv2d'),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ]),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=5),
    rpn_head=dict(
        type='ContrastiveRPNHead',
        in_channels=256,
        feat_channels=256,
        query_in_dims=256 * 7 * 7,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        # PreDet Sec. 3.2.1: 128 positive + 128 negative anchors, IoU > 0.7
        # positive, < 0.3 negative
        sampler=dict(
            type='RandomSampler',
            num=256,
            pos_fraction=0.5,
            neg_pos_ub=-1,
            add_gt_as_proposals=False),
        # an anchor overlapping no query is scored for a random query
        zero_iou_query='random',
        # top K per level, NMS to K_nms (Sec. 3.2.1; K, K_nms not given:
        # detectron2's FPN training values)
        nms_pre=2000,
        nms_iou=0.7,
        max_per_img=1000),
    roi_head=dict(
        type='ContrastiveRoIHead',
        in_dims=256 * 7 * 7,
        hidden=1024,
        tau=0.07,  # PreDet Sec. 3.2.2
        max_negatives=512),  # |P_neg|, PreDet Sec. 4.1
    roi_extractor=dict(
        type='SingleRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=256,
        featmap_strides=[4, 8, 16, 32]),
    # image-level classes of the pretraining set (IG-50M: 1209, ImageNet-1k:
    # 1000); 0 switches the classification loss off (Table 1's ablation row)
    num_classes=1000,
    cls_loss='softmax_khot',  # PreDet Sec. 3.1, [34]'s multi-label loss
    num_queries=16,  # PreDet Sec. 4.1: 16 EdgeBoxes sampled at random
    pool_size=100,  # the pool they are drawn from: not stated, ours
    query_sampling='random')
