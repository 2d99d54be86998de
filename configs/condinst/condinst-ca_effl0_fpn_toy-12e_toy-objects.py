# Class-agnostic CondInst with the ImageNet EfficientNet-Lite0 backbone on the
# toy data (CPU-sized heads), for the CPU benchmark and tests.
_base_ = './condinst-ca_r18w16_fpn_toy-12e_toy-objects.py'

model = dict(
    data_preprocessor=dict(mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        pretrained='imagenet',
        out_indices=(2, 3, 4, 5)),
    neck=dict(in_channels=[24, 40, 112, 320]))
