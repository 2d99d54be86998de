# CA-SSL's entities (things + stuff) end to end on the generated toy data:
# the labeler learns every panoptic segment of the labeled split as one class
# "entity" and is scored with AP^e, pseudo entities on the unlabeled split,
# warmup on them (AP^e), then the usual class-specific CondInst finetune and
# its baseline.
#   python tools/casp.py configs/casp/casp-entities_r18w16_fpn_toy-demo_toy.py
_base_ = './casp_r18w16_fpn_toy-demo_toy.py'
_entities = 'configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-entities.py'

casp = dict(
    method='CA-SSL, entities',
    pretrain_on='entities',
    data=dict(
        labeled=dict(entities='annotations/entities_labeled.json'),
        val=dict(entities='annotations/entities_val.json')),
    labeler=dict(config=_entities),
    warmup=dict(config=_entities))
