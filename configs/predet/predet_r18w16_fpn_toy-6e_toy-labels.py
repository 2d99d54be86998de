# PreDet with image-level labels: the toy labeled split's classes as
# multi-label targets of a classification loss on every FPN level, summed
# with the CRPN, InfoNCE and CROI regression losses.
_base_ = './predet_r18w16_fpn_toy-6e_toy.py'

model = dict(num_classes=6)
train_dataloader = dict(
    dataset=dict(
        ann_file='annotations/instances_labeled.json',
        data_prefix=dict(img='images/labeled/'),
        with_labels=True))
