# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo-label with the detector being trained (CaSP's labeler)."""
from typing import Optional, Sequence

from mmcasp.pseudo_labels import LabelingSettings
from mmcasp.registry import HOOKS
from .pseudo_label_hook import BasePseudoLabelHook

__all__ = ['DetectorPseudoLabelHook']


@HOOKS.register_module()
class DetectorPseudoLabelHook(BasePseudoLabelHook):
    """Label ``images`` with the trained detector; keep objectness > delta.

    Example (in a labeler config)::

        custom_hooks = [dict(
            type='DetectorPseudoLabelHook',
            images='data/coco/annotations/unlabeled.json',
            image_root='data/coco/unlabeled2017',
            out_file='pseudo_labels/unlabeled_{epoch}.json', delta=0.2)]

    Args:
        delta, max_per_image, min_size, flip, fp16: As in
            :class:`~mmcasp.pseudo_labels.DetectorPredictor`.
        **kwargs: See :class:`BasePseudoLabelHook`.
    """

    def __init__(self,
                 images: str,
                 delta: float = LabelingSettings.delta,
                 max_per_image: int = LabelingSettings.max_per_image,
                 min_size: float = LabelingSettings.min_size,
                 flip: bool = LabelingSettings.flip,
                 fp16: bool = LabelingSettings.fp16,
                 image_root: Optional[str] = None,
                 epochs: Sequence[int] = (),
                 **kwargs) -> None:
        super().__init__(
            images, image_root=image_root, epochs=epochs, **kwargs)
        self.settings = LabelingSettings(
            delta=delta,
            max_per_image=max_per_image,
            min_size=min_size,
            flip=flip,
            fp16=fp16)

    def build_predictor(self, runner, model):
        from mmcasp.pseudo_labels import build_detector_predictor

        # the runner's model goes on training: its memory format and its
        # BatchNorm layers stay
        predictor = build_detector_predictor(
            runner.cfg,
            model=model,
            settings=self.settings,
            channels_last=False,
            fuse_conv_bn=False)
        extra = dict(
            description='CaSP detector pseudo labels',
            model_config=runner.cfg.filename,
            checkpoint=f'{runner.work_dir} (epoch {runner.epoch})',
            forward=predictor.forward_settings(),
            **self.settings.rules())
        return predictor, None, extra
