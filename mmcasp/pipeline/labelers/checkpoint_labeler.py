# Copyright (c) mmcasp contributors. All rights reserved.
"""Any trained mmdet detector as the labeler (the papers' labeler-strength
ablation, and each self-training round's labeler)."""
import os.path as osp
from typing import List, Optional

from mmcasp.registry import LABELERS
from ..stage_configs import resolve_config
from .detector_labeler import DetectorLabeler

__all__ = ['CheckpointLabeler']


@LABELERS.register_module('checkpoint')
class CheckpointLabeler(DetectorLabeler):
    """A detector someone already trained: ``config`` and ``checkpoint``
    of any mmdet detector (Mask R-CNN, RetinaNet, FCOS, CondInst, ...);
    nothing is trained. Differs from ``'detector'`` only in :meth:`run`.

    Its predictions are pseudo labels as for CaSP's labeler: objectness is
    the detector's score; class-agnostic (one "object" category, whatever
    class the detector predicted) unless ``pseudo.class_specific``, which
    keeps its classes (they must be categories of the labeled split, by
    name). A box-only detector gives box-only labels, so the warmup must
    then train on boxes.

    Args:
        config: The detector's mmdet config.
        checkpoint: Its trained weights.
    """

    def __init__(self, config: str, checkpoint: str) -> None:
        super().__init__(config)
        self.checkpoint = checkpoint

    @classmethod
    def trained_model(cls, settings: dict) -> Optional[dict]:
        """None: it trains nothing."""
        return None

    def describe(self, class_specific: bool) -> str:
        return 'labeler (given detector, ' + (
            'class-specific)' if class_specific else 'class-agnostic)')

    def validate(self, ctx) -> List[str]:
        problems = super().validate(ctx)
        if not osp.isfile(self.checkpoint):
            problems.append(
                f'labeler.checkpoint: {self.checkpoint} does not exist')
        return problems

    def info(self, ctx, record: dict) -> dict:
        # also when a self-training round labels with the previous round's
        # warmup while the configured labeler is another kind
        return dict(super().info(ctx, record), labeler='checkpoint')

    def run(self, ctx) -> dict:
        return dict(
            config=resolve_config(self.config),
            checkpoint=osp.abspath(self.checkpoint),
            metrics={},
            wall_s=0.0)
