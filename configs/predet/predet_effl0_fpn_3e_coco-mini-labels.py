# PreDet on the COCO-mini unlabeled images with image-level labels (PreDet
# Sec. 3.1: the multi-label classification loss on every FPN level beside
# the contrastive losses), for data whose unlabeled images have them: the
# pipeline passes data.unlabeled.image_labels (a COCO file of the 80 COCO
# categories, matched by file name) as the dataset's labels_file.
_base_ = './predet_effl0_fpn_3e_coco-mini-unlabeled.py'

model = dict(num_classes=80)
train_dataloader = dict(dataset=dict(with_labels=True))
