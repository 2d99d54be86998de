# CaSP into a PanopticFPN target on the toy data: the demo's labeler, pseudo
# labels and warmup, then backbone + FPN transferred into PanopticFPN,
# finetuned on the toy panoptic labels and scored with PQ (and the same
# finetuning from the plain init as the baseline).
#   python tools/casp.py configs/casp/casp_r18w16_fpn_toy-demo-panoptic_toy.py
_base_ = './casp_r18w16_fpn_toy-demo_toy.py'

casp = dict(
    data=dict(
        labeled=dict(
            panoptic=dict(
                ann='annotations/panoptic_labeled.json',
                seg='annotations/panoptic_labeled')),
        val=dict(
            panoptic=dict(
                ann='annotations/panoptic_val.json',
                seg='annotations/panoptic_val'))),
    finetune=dict(
        config='configs/panoptic_fpn/panoptic-fpn_r18w16_fpn_toy-12e_toy.py',
        parts=['backbone', 'neck']))
