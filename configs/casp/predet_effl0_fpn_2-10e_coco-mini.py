# PreDet on COCO-mini (the benchmark's "predet" method): contrastive
# pretraining on the unlabeled images alone (no pseudo labels) -> finetune the
# 80-class CondInst (backbone and neck transferred). COCO-mini's unlabeled
# images have no image labels, so this is PreDet WITHOUT its classification
# loss (PreDet Table 1's ablation row, L_crpn + L_info + L_croi-reg), not the
# method; predet-labels_effl0_fpn_2-10e_coco-mini.py adds the loss.
_base_ = './casp_effl0_fpn_10-3-10e_coco-mini.py'

casp = dict(
    method='PreDet',
    labeler=dict(_delete_=True, type='none'),
    warmup=dict(
        config='configs/predet/predet_effl0_fpn_3e_coco-mini-unlabeled.py',
        epochs=2),
    finetune=dict(parts=['backbone', 'neck']))
