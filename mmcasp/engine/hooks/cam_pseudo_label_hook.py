# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo-label with CAMs of the classifier being trained (DAP)."""
from typing import Optional, Sequence

from mmcasp.registry import HOOKS
from .pseudo_label_hook import BasePseudoLabelHook

__all__ = ['CamPseudoLabelHook']


@HOOKS.register_module()
class CamPseudoLabelHook(BasePseudoLabelHook):
    """Label ``images`` with class activation maps of the runner's model.

    The model must expose ``normalize``, ``forward_features`` and
    ``cam_weights`` (e.g. :class:`~mmcasp.models.LinearHeadClassifier` or
    :class:`~mmcasp.models.EfficientNetLiteClassifier`).

    Args:
        images: The images to label (folder, COCO json or list file).
        class_agnostic: One category, "object" (default here).
        image_root, epochs, **kwargs: Keyword arguments of
            :class:`BasePseudoLabelHook` and the CAM rules of
            :class:`~mmcasp.pseudo_labels.CamPredictor` (``top_k``,
            ``scales``, ``flip``, ``relu``, ``thresholds``, ``nms_iou``,
            ``min_score``, ...), whose signature holds their defaults.
    """

    def __init__(self,
                 images: str,
                 class_agnostic: bool = True,
                 image_root: Optional[str] = None,
                 epochs: Sequence[int] = (),
                 **kwargs) -> None:
        from mmcasp.pseudo_labels import cam_rules

        # the hook labels with the predicted classes of the runner's model
        self.kwargs = cam_rules()
        cam = {k: kwargs.pop(k) for k in list(kwargs) if k in self.kwargs}
        super().__init__(
            images, image_root=image_root, epochs=epochs, **kwargs)
        self.kwargs.update(cam, class_agnostic=class_agnostic)
        for k in ('scales', 'thresholds'):
            self.kwargs[k] = tuple(self.kwargs[k])

    def build_predictor(self, runner, model):
        from mmcasp.pseudo_labels import build_cam_predictor
        predictor = build_cam_predictor(classifier=model, **self.kwargs)
        categories = None
        if not self.kwargs['class_agnostic']:
            n = model.cam_weights()[0].shape[0]
            categories = [
                dict(id=i + 1, name=f'class_{i}', supercategory='')
                for i in range(n)
            ]
        extra = dict(description='DAP CAM pseudo labels', **self.kwargs)
        return predictor, categories, extra
