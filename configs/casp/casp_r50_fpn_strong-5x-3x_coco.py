# The default COCO pipeline (casp_r50_fpn_5x-3x_coco.py) with the papers'
# strong augmentation (scale jitter, crop, colour) in both the warmup (5x)
# and the finetune (3x): the best cell of CaSP Table 8 (strong/strong,
# 49.1 AP^det vs 48.2 weak/weak) and the setting of CaSP Table 6.
_base_ = './casp_r50_fpn_5x-3x_coco.py'

casp = dict(
    warmup=dict(config='configs/condinst/'
                'condinst-ca_r50_fpn_strong-5x_coco-objects.py'),
    finetune=dict(
        config='configs/transfer/condinst-casp_r50_fpn_strong-3x_coco.py'))
