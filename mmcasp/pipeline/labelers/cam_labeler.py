# Copyright (c) mmcasp contributors. All rights reserved.
"""DAP's labeler: class activation maps of an image classifier."""
import os.path as osp
from typing import List, Optional

from mmcasp.pseudo_labels import CamPredictor
from mmcasp.registry import LABELERS
from ..settings import signature_settings
from .base import BaseLabeler

__all__ = ['CamLabeler']

#: CamPredictor arguments the pipeline decides, not the user
_FIXED = ('classifier', 'image_labels', 'class_agnostic', 'category_ids')


@LABELERS.register_module('cam')
class CamLabeler(BaseLabeler):
    """Boxes from class activation maps of the ``top_k`` predicted classes
    (class-agnostic, boxes only; nothing is trained).

    Args:
        classifier_config, classifier_checkpoint: The classifier (default:
            the packaged ImageNet EfficientNet-Lite0).
        **cam: The CAM rules (``top_k``, ``scales``, ``flip``,
            ``thresholds``, ``min_ratio``, ``nms_iou``, ``min_score``,
            ``fp16``): arguments of
            :class:`~mmcasp.pseudo_labels.CamPredictor`, whose signature
            holds their defaults.
    """
    method = 'DAP'
    makes_masks = False
    class_specific_ok = False
    entities_ok = False
    extra_settings = tuple(
        k for k in signature_settings(CamPredictor) if k not in _FIXED)

    def __init__(self,
                 classifier_config: Optional[str] = None,
                 classifier_checkpoint: Optional[str] = None,
                 **cam) -> None:
        self.classifier_config = classifier_config
        self.classifier_checkpoint = classifier_checkpoint
        self.cam = cam

    def describe(self, class_specific: bool) -> str:
        return 'labeler (CAM, DAP)'

    def validate(self, pipeline) -> List[str]:
        return [
            f'labeler.{key}: {path} does not exist'
            for key, path in (('classifier_config', self.classifier_config),
                              ('classifier_checkpoint',
                               self.classifier_checkpoint))
            if path and not osp.isfile(path)
        ]

    def run(self, pipeline) -> dict:
        return dict(
            classifier_config=self.classifier_config,
            classifier_checkpoint=self.classifier_checkpoint,
            wall_s=0.0)

    def predictor(self, pipeline, record: dict):
        from mmcasp.apis import build_cam_predictor
        return build_cam_predictor(
            record.get('classifier_config'),
            record.get('classifier_checkpoint'),
            class_agnostic=True,
            **self.cam)

    def categories(self, pipeline, predictor):
        return [dict(id=1, name='object', supercategory='object')]

    def info(self, pipeline, record: dict) -> dict:
        return dict(
            labeler='cam',
            classifier=record.get('classifier_config')
            or 'EfficientNet-Lite0 ImageNet',
            checkpoint=record.get('classifier_checkpoint'))
