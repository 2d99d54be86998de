# CaSP Table 2's Entities(P,A) row on full COCO (the papers' best
# pretraining data: 48.2 AP^det, 45.2 AP^seg after finetuning, CaSP Sec.
# 3.3): the labeler learns every COCO panoptic segment (things and stuff) as
# one class "entity" (3x), pseudo entities on unlabeled2017 (delta 0.2),
# warmup on them (5x; scored as AP^e), then the usual class-specific
# CondInst finetune (3x) and its ImageNet baseline. Entity files come from
# COCO panoptic:
#   python tools/dataset_converters/panoptic2entities.py \
#       data/coco/annotations/panoptic_train2017.json data/coco/annotations/panoptic_train2017 \
#       data/coco/annotations/entities_train2017.json --min-area 32   # and val2017
# Table 2's PQ column needs a panoptic target: finetune
# configs/transfer/panoptic-fpn-casp_r50_fpn_1x_coco.py from the warmup.
_base_ = './casp_r50_fpn_5x-3x_coco.py'

casp = dict(
    method='CA-SSL, entities (Entities(P,A))',
    pretrain_on='entities',
    data=dict(
        labeled=dict(entities='annotations/entities_train2017.json'),
        val=dict(entities='annotations/entities_val2017.json')),
    labeler=dict(config='configs/condinst/'
                 'condinst-ca_r50_fpn_ms-3x_coco-entities.py'),
    warmup=dict(config='configs/condinst/'
                'condinst-ca_r50_fpn_ms-5x_coco-entities.py'))
