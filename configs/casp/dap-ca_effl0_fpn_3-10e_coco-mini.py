# DAP on COCO-mini (the benchmark's "dap" method), the variant for images
# without any label (COCO-mini's unlabeled split has none): boxes from class
# activation maps of the packaged ImageNet EfficientNet-Lite0 classifier on
# the unlabeled images -> box-only FCOS warmup -> finetune the 80-class
# CondInst (backbone, neck, box head transferred).
_base_ = './casp_effl0_fpn_10-3-10e_coco-mini.py'

casp = dict(
    method='DAP',
    labeler=dict(_delete_=True, type='cam', scales=[288, 576], top_k=1),
    warmup=dict(
        config='benchmarks/configs/fcos-ca_effl0_fpn_36e_coco-mini-objects.py'
    ),
    finetune=dict(parts=['backbone', 'neck', 'head']))
