# PreDet with image-level labels, end to end on the generated toy data: the
# toy unlabeled split plays the weakly labelled set (its image labels are the
# classes present in each image, from the hidden ground truth; boxes are
# never read). Contrastive RPN + RoI pretraining on two views of each image,
# plus the multi-label classification loss on every FPN level (PreDet Sec.
# 3.1) -> backbone and FPN transferred into the toy class-specific CondInst
# -> compared with the same finetune from the plain init.
#   python tools/casp.py configs/casp/predet_r18w16_fpn_toy-demo_toy-labels.py
_base_ = './casp_r18w16_fpn_toy-demo_toy.py'

casp = dict(
    method='PreDet, image labels',
    data=dict(
        unlabeled=dict(image_labels='annotations/instances_unlabeled.json')),
    labeler=dict(_delete_=True, type='none'),
    warmup=dict(
        config='configs/predet/predet_r18w16_fpn_toy-6e_toy-labels.py',
        epochs=3),
    finetune=dict(parts=['backbone', 'neck']))
