# CaSP Table 2's Objects(G,A) row with the papers' Swin-T backbone
# (casp-ga_r50_fpn_3x-3x_coco.py with the Swin-T labeler and finetune).
# finetune.init_from='labeler' (see there).
_base_ = './casp-ga_r50_fpn_3x-3x_coco.py'

casp = dict(
    labeler=dict(config='configs/condinst/'
                 'condinst-ca_swin-t_fpn_ms-3x_coco-objects.py'),
    warmup=dict(config='configs/condinst/'
                'condinst-ca_swin-t_fpn_ms-5x_coco-objects.py'),
    finetune=dict(
        config='configs/transfer/condinst-casp_swin-t_fpn_ms-3x_coco.py'))
