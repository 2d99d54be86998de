# Toy transfer target: the class-specific toy CondInst (6 things, CPU sized)
# initialised from the CPU demo's warmed-up class-agnostic CondInst
# (work_dirs/demo/warmup/epoch_6.pth): backbone, neck, box head and mask
# head; classifier random. The toy counterpart of
# condinst-casp_r50_fpn_1x_coco.py; see docs/transfer.md.
_base_ = '../condinst/condinst_r18w16_fpn_toy-12e_toy.py'

model = dict(
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/demo/warmup/epoch_6.pth',
        parts=['backbone', 'neck', 'head', 'mask_head'],
        classifier='random'))
