# Copyright (c) mmcasp contributors. All rights reserved.
"""The pipeline's stages: one class per stage, registered in
:data:`mmcasp.registry.STAGES` (see :mod:`mmcasp.pipeline.stage_graph`)."""
from .base import BaseStage, schedule_problems, stage_class
from .evaluate import EvaluateStage, run_results, unscored_evals
from .finetune import BaselineStage, FinetuneStage, finetune_config
from .labeler import LabelerStage
from .pseudo import PseudoStage
from .warmup import WarmupStage, warmup_problems

__all__ = [
    'BaseStage', 'stage_class', 'schedule_problems', 'LabelerStage',
    'PseudoStage', 'WarmupStage', 'warmup_problems', 'FinetuneStage',
    'BaselineStage', 'finetune_config', 'EvaluateStage', 'run_results',
    'unscored_evals'
]
