# CaSP Table 2's Objects(G,A) row on full COCO: pretraining on the
# *ground-truth* train2017 objects, class-agnostic (46.9 AP^det after
# finetuning, against 46.8 from ImageNet and 48.1 from pseudo labels, CaSP
# Sec. 4.0.1). That pretrained model is the class-agnostic labeler itself
# (CondInst R-50 on train2017 objects, 3x, multi-scale), so no pseudo labels
# and no warmup are needed: the 80-class finetune (3x) starts from the
# labeler's checkpoint, backbone, neck, box and mask heads transferred,
# classifier random; its baseline is the same finetune from ImageNet.
#
# finetune.init_from='labeler' (default 'warmup') makes the finetune start
# from the labeler; the pseudo and warmup stages are not run. By hand:
#   python tools/train.py configs/condinst/condinst-ca_r50_fpn_ms-3x_coco-objects.py
#   python tools/train.py configs/transfer/condinst-casp_r50_fpn_ms-3x_coco.py \
#       --cfg-options model.init_cfg.checkpoint=work_dirs/condinst-ca_r50_fpn_ms-3x_coco-objects/epoch_36.pth
_base_ = './casp_r50_fpn_5x-3x_coco.py'

casp = dict(
    method='CaSP, ground-truth objects (Objects(G,A))',
    finetune=dict(init_from='labeler'))
