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
        top_k, scales, flip, thresholds, nms_iou, class_agnostic, min_score:
            As in :class:`~mmcasp.pseudo_labels.CamPredictor`.
        **kwargs: See :class:`BasePseudoLabelHook`.
    """

    def __init__(self,
                 images: str,
                 top_k: int = 1,
                 scales: Sequence[int] = (288, 576),
                 flip: bool = True,
                 thresholds: Sequence[float] = (0.2, 0.3, 0.4, 0.5),
                 nms_iou: float = 0.8,
                 class_agnostic: bool = True,
                 min_score: float = 0.,
                 image_root: Optional[str] = None,
                 epochs: Sequence[int] = (),
                 **kwargs) -> None:
        super().__init__(
            images, image_root=image_root, epochs=epochs, **kwargs)
        self.kwargs = dict(
            top_k=top_k,
            scales=tuple(scales),
            flip=flip,
            thresholds=tuple(thresholds),
            nms_iou=nms_iou,
            class_agnostic=class_agnostic,
            min_score=min_score)

    def build_predictor(self, runner, model):
        from mmcasp.apis import build_cam_predictor
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
