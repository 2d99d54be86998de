# Copyright (c) mmcasp contributors. All rights reserved.
"""The pipeline: labeler -> pseudo labels -> warmup -> finetune, a baseline,
evaluation and report. See :mod:`.stage_graph` for its stages."""
from .casp import CaspPipeline, prepare_casp
from .context import PipelineContext
from .errors import PipelineError
from .labelers import (BaseLabeler, CamLabeler, CheckpointLabeler,
                       DetectorLabeler, NoLabeler, build_labeler,
                       labeled_categories)
from .options import CASP_KEYS, apply_cfg_options
from .records import StageRecords
from .report import plot_sweep, results_rows, write_report, write_table
from .settings import (CaspSettings, FinetuneSettings, PseudoSettings,
                       SettingsError, StageSettings, parse)
from .stage_configs import build_stage_config, resolve_config
from .stage_graph import (BUILTIN, DEFAULT_ORDER, StageId, StageSpec,
                          labeler_is_baseline, stage_dependencies)
from .stages import BaseStage
from .sweep import expand_grid, stage_keys, sweep_rows

__all__ = [
    'CaspPipeline', 'PipelineContext', 'PipelineError', 'SettingsError',
    'prepare_casp', 'build_labeler', 'resolve_config', 'build_stage_config',
    'StageRecords', 'BaseLabeler', 'DetectorLabeler', 'CheckpointLabeler',
    'CamLabeler', 'NoLabeler', 'labeled_categories', 'CaspSettings',
    'FinetuneSettings', 'PseudoSettings', 'StageSettings', 'parse',
    'plot_sweep', 'results_rows', 'write_report', 'write_table', 'expand_grid',
    'stage_keys', 'sweep_rows', 'CASP_KEYS', 'apply_cfg_options',
    'DEFAULT_ORDER', 'BUILTIN', 'StageId', 'StageSpec', 'BaseStage',
    'labeler_is_baseline', 'stage_dependencies'
]
