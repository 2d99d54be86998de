# Copyright (c) mmcasp contributors. All rights reserved.
"""CaSP's labeler: a detector trained on the labeled split."""
import os.path as osp
from typing import List, Optional

from mmcasp.registry import LABELERS
from ..settings import StageSettings
from ..stage_configs import predicts_masks
from .base import BaseLabeler, labeled_categories

__all__ = ['DetectorLabeler']


@LABELERS.register_module('detector')
class DetectorLabeler(BaseLabeler):
    """Train ``config`` (the papers' class-agnostic CondInst, or any mmdet
    detector config) on the labeled split, then keep its predictions with
    objectness above ``pseudo.delta``. With ``pseudo.class_specific`` the
    config is a class-specific detector and its classes are kept; if its
    settings are then the baseline's, it is the baseline's model, which is
    trained once (:func:`~mmcasp.ctx.labeler_is_baseline`).

    Args:
        config: The detector's mmdet config.
        epochs: Training epochs (default the config's; every parameter
            scheduler is rescaled with them).
        cfg_options: Overrides of the config (dotted keys).
    """

    yields_detector = True

    def __init__(self,
                 config: str,
                 epochs: Optional[int] = None,
                 cfg_options: Optional[dict] = None) -> None:
        self.stage = StageSettings(config, epochs, dict(cfg_options or {}))

    @property
    def makes_masks(self) -> bool:
        from mmcasp.utils import InputFileError, load_config
        from ..errors import PipelineError
        from ..stage_configs import resolve_config
        try:
            cfg = load_config(resolve_config(self.config))
        except (PipelineError, InputFileError):
            return True  # validate() reports the config's problem
        return predicts_masks(cfg.model)

    @property
    def config(self) -> str:
        return self.stage.config

    def validate(self, ctx) -> List[str]:
        return ctx.config_problems('labeler.config', self.config)

    @classmethod
    def trained_model(cls, settings: dict) -> Optional[dict]:
        """Its ``config``, ``epochs`` and ``cfg_options``, as given."""
        return {k: v for k, v in settings.items() if k != 'type'}

    def run(self, ctx) -> dict:
        cfg = ctx.stage_config(
            'labeler',
            self.stage,
            train=ctx.pretrain_split('labeled'),
            class_specific=ctx.pseudo.class_specific,
            pretrain=True)
        return ctx.train('labeler', cfg)

    def predictor(self, ctx, record: dict):
        from mmcasp.pseudo_labels import build_detector_predictor
        return build_detector_predictor(
            record['config'], record['checkpoint'], settings=ctx.pseudo)

    def categories(self, ctx, predictor):
        if not ctx.pseudo.class_specific:
            return [ctx.agnostic_category()]
        cats, predictor.category_ids = labeled_categories(
            ctx.settings.data.labeled.ann, predictor.model)
        return cats

    def info(self, ctx, record: dict) -> dict:
        # the rules; how the forward ran goes in info['forward']
        return dict(
            labeler=ctx.labeler_type,
            checkpoint=osp.abspath(record['checkpoint']),
            model_config=osp.abspath(record['config']),
            class_specific=ctx.pseudo.class_specific,
            **ctx.pseudo.rules())
