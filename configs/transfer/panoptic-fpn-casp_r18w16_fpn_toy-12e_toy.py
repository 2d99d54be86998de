# Toy transfer target: the toy PanopticFPN (6 things + 3 stuff classes,
# toy panoptic labels) initialised from the CPU demo's warmed-up
# class-agnostic CondInst: backbone and FPN, matched by pyramid level (its
# FPN starts at C2). The toy counterpart of
# panoptic-fpn-casp_r50_fpn_1x_coco.py; see docs/transfer.md.
_base_ = '../panoptic_fpn/panoptic-fpn_r18w16_fpn_toy-12e_toy.py'

model = dict(
    init_cfg=dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='work_dirs/demo/warmup/epoch_6.pth',
        parts=['backbone', 'neck']))
