# Copyright (c) mmcasp contributors. All rights reserved.
"""The one place a pseudo labeler's predictor is built from settings: the
pipeline, the pseudo-labeling hooks, the tools and the benchmarks all call
these (also as :mod:`mmcasp.apis`)."""
from typing import Optional, Union

import torch
from mmengine.config import Config

from mmcasp.utils.build import load_detector
from .cam_classifier import build_cam_classifier
from .labeling_settings import LabelingSettings
from .predictors import CamPredictor, DetectorPredictor

__all__ = ['build_detector_predictor', 'build_cam_predictor']


def build_detector_predictor(config: Union[str, Config],
                             checkpoint: Optional[str] = None,
                             settings: Optional[LabelingSettings] = None,
                             model: Optional[torch.nn.Module] = None,
                             device: Optional[str] = None,
                             **kwargs) -> DetectorPredictor:
    """A :class:`~mmcasp.pseudo_labels.DetectorPredictor` for a detector.

    Args:
        config: The detector's config (path or object): its test pipeline
            prepares the images; its model is built unless ``model`` is
            given.
        checkpoint: Weights to load into the built model.
        settings: The labeling rules (default
            :class:`~mmcasp.pseudo_labels.LabelingSettings`: δ = 0.2, ...).
        model: An already built model (e.g. the one a hook's runner
            trains); ``checkpoint`` is then not read.
        device: Default ``cuda`` if available, else ``cpu``.
        **kwargs: More arguments of ``DetectorPredictor``
            (``category_ids``, ``prefilter``, ``flip_iou``), or any of
            ``settings``' rules, which they override.
    """
    if isinstance(config, str):
        config = Config.fromfile(config)
    if model is None:
        model = load_detector(config, checkpoint, device=device)
    settings = settings or LabelingSettings()
    return DetectorPredictor(
        model,
        config.test_dataloader.dataset.pipeline,
        scope=config.get('default_scope', 'mmcasp'),
        **dict(settings.predictor_kwargs(), **kwargs))


def build_cam_predictor(classifier_config: Optional[str] = None,
                        classifier_checkpoint: Optional[str] = None,
                        classifier: Optional[torch.nn.Module] = None,
                        device: Optional[str] = None,
                        **kwargs) -> CamPredictor:
    """A :class:`~mmcasp.pseudo_labels.CamPredictor` (DAP).

    Args:
        classifier_config, classifier_checkpoint: The classifier (default:
            the packaged ImageNet EfficientNet-Lite0), see
            :func:`~mmcasp.pseudo_labels.build_cam_classifier`.
        classifier: An already built classifier instead.
        device: Default ``cuda`` if available, else ``cpu``.
        **kwargs: The CAM rules, as ``CamPredictor`` takes them (its
            signature holds their defaults).
    """
    if classifier is None:
        device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        classifier = build_cam_classifier(classifier_config,
                                          classifier_checkpoint).to(device)
    return CamPredictor(classifier, **kwargs)
