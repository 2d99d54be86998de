# PreDet with image-level labels on COCO-mini (the benchmark's
# "predet-labels" method): the unlabeled images' image labels (give them with
# data.unlabeled.image_labels; COCO-mini ships none, so the benchmark runs
# this method only with --image-labels) -> contrastive pretraining plus the
# multi-label classification loss -> finetune the 80-class CondInst
# (backbone and neck transferred).
_base_ = './predet_effl0_fpn_2-10e_coco-mini.py'

casp = dict(
    method='PreDet, image labels',
    warmup=dict(
        config='configs/predet/predet_effl0_fpn_3e_coco-mini-labels.py'))
