# CaSP Table 2's Objects(G,A) row on the generated toy data: the finetune
# starts from the class-agnostic labeler trained on the labeled split's
# ground truth (no pseudo labels, no warmup). Toy models start from random
# weights.
# The pipeline option finetune.init_from='labeler' (default 'warmup') makes
# the finetune start from the labeler and drops the pseudo and warmup stages.
#   python tools/casp.py configs/casp/casp-ga_r18w16_fpn_toy-demo_toy.py
_base_ = './casp_r18w16_fpn_toy-demo_toy.py'

casp = dict(
    method='CaSP, ground-truth objects (Objects(G,A))',
    finetune=dict(init_from='labeler'))
