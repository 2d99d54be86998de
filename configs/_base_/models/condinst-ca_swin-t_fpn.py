# Class-agnostic CondInst with a Swin-T backbone (the CaSP papers' backbone).
# No weights are downloaded: set backbone.init_cfg to your ImageNet Swin-T
# checkpoint, e.g. dict(type='Pretrained', checkpoint='/path/swin_tiny.pth').
_base_ = './condinst-ca_r50_fpn.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        embed_dims=96,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.2,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
        with_cp=False,
        convert_weights=True,
        init_cfg=None),
    # same level layout as R-50: C2..C5 in, FPN from C3 (start_level=1)
    neck=dict(in_channels=[96, 192, 384, 768]))
