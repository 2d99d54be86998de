# Class-agnostic CondInst, ResNet-50 + FPN (P3-P7): the class-agnostic FCOS
# (same backbone, FPN and box head) plus CondInst's controller and mask
# branch. Objectness of a prediction = sqrt(sigmoid(cls) *
# sigmoid(centerness)); see mmcasp.models.ClassAgnosticCondInstBboxHead.
_base_ = './fcos-ca_r50_fpn.py'

model = dict(
    type='ClassAgnosticCondInst',
    data_preprocessor=dict(pad_mask=True),
    bbox_head=dict(type='ClassAgnosticCondInstBboxHead', num_params=169),
    mask_head=dict(
        type='CondInstMaskHead',
        num_layers=3,
        feat_channels=8,
        size_of_interest=8,
        mask_out_stride=4,
        max_masks_to_train=300,
        mask_feature_head=dict(
            in_channels=256,
            feat_channels=128,
            start_level=0,
            end_level=2,
            out_channels=8,
            mask_stride=8,
            num_stacked_convs=4,
            norm_cfg=dict(type='BN', requires_grad=True)),
        loss_mask=dict(
            type='DiceLoss',
            use_sigmoid=True,
            activate=True,
            eps=5e-6,
            loss_weight=1.0)),
    test_cfg=dict(
        # pre-filter on sigmoid(cls) only; keep <= delta**2 for labeling
        score_thr=0.03,
        mask_thr=0.5))
