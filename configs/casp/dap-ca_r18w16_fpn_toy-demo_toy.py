# DAP's variant for images without any label (a named deviation, see
# docs/recipes.md), end to end on the generated toy dataset, sized for 2 CPU
# cores: class activation maps of the top-1 class of the ImageNet
# EfficientNet-Lite0 classifier (packaged weights, nothing trained or
# downloaded) -> class-agnostic pseudo boxes on
# the unlabeled split -> warmup of a box-only FCOS on them -> finetune the
# class-specific CondInst (backbone, neck, box head transferred) -> compare
# with the same finetuning from the plain init. dap_r18w16_fpn_toy-demo_toy.py
# is DAP as the paper describes it.
#   python tools/casp.py configs/casp/dap-ca_r18w16_fpn_toy-demo_toy.py
_base_ = './casp_r18w16_fpn_toy-demo_toy.py'

casp = dict(
    labeler=dict(
        _delete_=True,
        type='cam',
        # classifier_config=..., classifier_checkpoint=...: your own
        # classifier (e.g. LinearHeadClassifier); default ImageNet EffL0
        top_k=1,
        scales=[128, 256],
        thresholds=[0.2, 0.3, 0.4, 0.5],
        nms_iou=0.8),
    warmup=dict(
        config='configs/fcos/fcos-ca_r18w16_fpn_toy-12e_toy-objects.py',
        epochs=6),
    finetune=dict(parts=['backbone', 'neck', 'head']))
