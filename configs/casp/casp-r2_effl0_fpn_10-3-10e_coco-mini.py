# CaSP with a stronger labeler from the same images (the benchmark's
# "casp-r2" method, the labeler-strength row): one self-training round more.
# Round 1 is the "casp" method (the benchmark shares its stages); round 2
# relabels the unlabeled images with round 1's warmed-up model, which has
# seen the 100 labeled and, through their pseudo labels, the 323 unlabeled
# images, and warms up again; the finetune starts from round 2. No image
# outside the splits is used. CaSP Table 5 ties small gains to a weak
# labeler; this row asks whether a stronger one closes the gap.
_base_ = './casp_effl0_fpn_10-3-10e_coco-mini.py'

casp = dict(method='CaSP, 2 rounds', rounds=2)
