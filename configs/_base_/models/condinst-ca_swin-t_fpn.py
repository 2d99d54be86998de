# Class-agnostic CondInst with a Swin-T backbone (the CaSP papers' backbone).
# The backbone starts from the ImageNet-1k Swin-T release that mmdet 3.3's
# own Swin configs use (configs/swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py),
# downloaded once into torch's hub cache (MMCASP_OFFLINE=1: random weights
# instead, reported). For a local copy set backbone.init_cfg.checkpoint.
_base_ = './condinst-ca_r50_fpn.py'
swin_t_imagenet = 'https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_tiny_patch4_window7_224.pth'  # noqa: E501

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
        init_cfg=dict(type='Pretrained', checkpoint=swin_t_imagenet)),
    # same level layout as R-50: C2..C5 in, FPN from C3 (start_level=1)
    neck=dict(in_channels=[96, 192, 384, 768]))
