# CaSP sized for a CPU, and the CPU base for your own data
# (docs/pipeline.md): EfficientNet-Lite0 (packaged ImageNet weights) CondInst
# with 64-channel heads at 160 px, labeler 20 epochs -> pseudo labels (delta
# 0.2) -> warmup 3 epochs -> 80-class finetune 20 epochs (backbone, neck, box
# and mask heads transferred) and its baseline: the COCO-mini benchmark's
# `cpu` profile of casp_effl0_fpn_10-3-10e_coco-mini.py (which is its `gpu`
# profile: 384-512 px, 256-channel heads). Run from the repo root:
#   python tools/casp.py configs/casp/casp_effl0_fpn_cpu-20-3-20e_coco-mini.py \
#       --data-root ../shared/data/coco-mini
_base_ = './casp_effl0_fpn_10-3-10e_coco-mini.py'
_ca = 'configs/condinst/condinst-ca_effl0_fpn_cpu-20e_coco-mini-objects.py'
_cs = 'configs/condinst/condinst_effl0_fpn_cpu-20e_coco-mini.py'

casp = dict(
    labeler=dict(config=_ca, epochs=20),
    pseudo=dict(batch_size=4, num_workers=2),
    warmup=dict(config=_ca, epochs=3),
    finetune=dict(config=_cs, epochs=20))
