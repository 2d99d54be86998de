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
    trained once (:func:`~mmcasp.pipeline.labeler_is_baseline`).

    Args:
        config: The detector's mmdet config.
        epochs: Training epochs (default the config's; every parameter
            scheduler is rescaled with them).
        cfg_options: Overrides of the config (dotted keys).
    """

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

    def validate(self, pipeline) -> List[str]:
        return pipeline.config_problems('labeler.config', self.config)

    def run(self, pipeline) -> dict:
        if pipeline.labeler_is_baseline:
            # a class-specific labeler with the baseline's settings is the
            # baseline's model: trained once, for both stages
            return pipeline.baseline_as_labeler()
        cfg = pipeline.stage_config(
            'labeler',
            self.stage,
            train=pipeline.pretrain_split('labeled'),
            class_specific=pipeline.settings.pseudo.class_specific,
            pretrain=True)
        return pipeline.train('labeler', cfg)

    def predictor(self, pipeline, record: dict):
        from mmcasp.apis import build_detector_predictor
        return build_detector_predictor(
            record['config'],
            record['checkpoint'],
            settings=pipeline.settings.pseudo)

    def categories(self, pipeline, predictor):
        if not pipeline.settings.pseudo.class_specific:
            return [pipeline.agnostic_category()]
        cats, predictor.category_ids = labeled_categories(
            pipeline.settings.data.labeled.ann, predictor.model)
        return cats

    def info(self, pipeline, record: dict) -> dict:
        pseudo = pipeline.settings.pseudo
        return dict(
            labeler=pipeline.labeler_type,
            checkpoint=osp.abspath(record['checkpoint']),
            model_config=osp.abspath(record['config']),
            delta=pseudo.delta,
            max_per_image=pseudo.max_per_image,
            min_size=pseudo.min_size,
            flip=pseudo.flip,
            batch_invariant=pseudo.batch_invariant,
            class_specific=pseudo.class_specific)
