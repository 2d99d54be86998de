# CaSP Table 2's Objects(P,S) row with the papers' Swin-T backbone
# (casp-cs_r50_fpn_5x-3x_coco.py with Swin-T stage configs, AdamW).
_base_ = './casp-cs_r50_fpn_5x-3x_coco.py'

casp = dict(
    labeler=dict(config='configs/condinst/condinst_swin-t_fpn_ms-3x_coco.py'),
    warmup=dict(config='configs/condinst/condinst_swin-t_fpn_ms-5x_coco.py'),
    finetune=dict(
        config='configs/transfer/condinst-casp_swin-t_fpn_ms-3x_coco.py'))
