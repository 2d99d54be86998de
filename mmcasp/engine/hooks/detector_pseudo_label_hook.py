# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo-label with the detector being trained (CaSP's labeler)."""
from typing import Optional, Sequence

from mmcasp.pseudo_labels import DetectorPredictor
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
                 delta: float = 0.2,
                 max_per_image: int = 100,
                 min_size: float = 0.,
                 flip: bool = False,
                 fp16: bool = False,
                 image_root: Optional[str] = None,
                 epochs: Sequence[int] = (),
                 **kwargs) -> None:
        super().__init__(
            images, image_root=image_root, epochs=epochs, **kwargs)
        self.delta = delta
        self.max_per_image = max_per_image
        self.min_size = min_size
        self.flip = flip
        self.fp16 = fp16

    def build_predictor(self, runner, model):
        predictor = DetectorPredictor(
            model,
            runner.cfg.test_dataloader.dataset.pipeline,
            delta=self.delta,
            max_per_image=self.max_per_image,
            min_size=self.min_size,
            flip=self.flip,
            fp16=self.fp16,
            scope=runner.cfg.get('default_scope', 'mmcasp'))
        extra = dict(
            description='CaSP detector pseudo labels',
            model_config=runner.cfg.filename,
            checkpoint=f'{runner.work_dir} (epoch {runner.epoch})',
            delta=self.delta,
            max_per_image=self.max_per_image,
            min_size=self.min_size,
            flip=self.flip)
        return predictor, None, extra
