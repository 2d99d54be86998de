# The default COCO pipeline (casp_r50_fpn_5x-3x_coco.py) with the papers'
# backbone, Swin-T (CaSP Sec. 4 "Implementation"): class-agnostic Swin-T
# CondInst labeler (3x, multi-scale) and warmup (5x, multi-scale), then the
# class-specific Swin-T CondInst finetune (3x, multi-scale). AdamW
# (lr 1e-4, weight decay 0.05) as the class-agnostic Swin-T configs.
# Labeler, warmup and baseline start Swin-T from the ImageNet-1k release
# mmdet's Swin configs use (downloaded once into torch's hub cache;
# MMCASP_OFFLINE=1: random weights instead, reported).
_base_ = './casp_r50_fpn_5x-3x_coco.py'

casp = dict(
    labeler=dict(config='configs/condinst/'
                 'condinst-ca_swin-t_fpn_ms-3x_coco-objects.py'),
    warmup=dict(config='configs/condinst/'
                'condinst-ca_swin-t_fpn_ms-5x_coco-objects.py'),
    finetune=dict(
        config='configs/transfer/condinst-casp_swin-t_fpn_ms-3x_coco.py'))
