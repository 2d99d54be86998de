# Table 4/9-style sweep on the toy data: pseudo-label threshold x transferred
# parts (4 runs sharing one labeler, two pseudo-label sets, one baseline).
#   python tools/sweep.py configs/casp/sweeps/sweep_delta-parts_toy.py
base = 'configs/casp/casp_r18w16_fpn_toy-demo_toy.py'
grid = {
    'pseudo.delta': [0.2, 0.4],
    'finetune.parts': [['backbone'],
                       ['backbone', 'neck', 'head', 'mask_head']],
}
