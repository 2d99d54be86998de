# CaSP Table 2's Entities(P,A) row with the papers' Swin-T backbone
# (casp-entities_r50_fpn_5x-3x_coco.py with Swin-T stage configs, AdamW).
_base_ = './casp-entities_r50_fpn_5x-3x_coco.py'

casp = dict(
    labeler=dict(config='configs/condinst/'
                 'condinst-ca_swin-t_fpn_ms-3x_coco-entities.py'),
    warmup=dict(config='configs/condinst/'
                'condinst-ca_swin-t_fpn_ms-5x_coco-entities.py'),
    finetune=dict(
        config='configs/transfer/condinst-casp_swin-t_fpn_ms-3x_coco.py'))
