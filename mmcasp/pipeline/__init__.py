# Copyright (c) mmcasp contributors. All rights reserved.
from .casp import CaspPipeline, build_labeler, prepare_casp
from .errors import PipelineError
from .labelers import (BaseLabeler, CamLabeler, CheckpointLabeler,
                       DetectorLabeler, NoLabeler, labeled_categories)
from .options import CASP_KEYS, apply_cfg_options
from .records import STAGES, StageRecords, round_stage
from .report import plot_sweep, results_rows, write_report, write_table
from .settings import (CaspSettings, FinetuneSettings, PseudoSettings,
                       SettingsError, StageSettings, parse)
from .stage_configs import build_stage_config, resolve_config
from .sweep import (expand_grid, labeler_is_baseline, set_dotted, stage_keys,
                    stage_settings, sweep_rows)

__all__ = [
    'STAGES', 'CaspPipeline', 'PipelineError', 'SettingsError', 'prepare_casp',
    'build_labeler', 'resolve_config', 'build_stage_config', 'StageRecords',
    'round_stage', 'BaseLabeler', 'DetectorLabeler', 'CheckpointLabeler',
    'CamLabeler', 'NoLabeler', 'labeled_categories', 'CaspSettings',
    'FinetuneSettings', 'PseudoSettings', 'StageSettings', 'parse',
    'plot_sweep', 'results_rows', 'write_report', 'write_table', 'expand_grid',
    'labeler_is_baseline', 'set_dotted', 'stage_keys', 'stage_settings',
    'sweep_rows', 'CASP_KEYS', 'apply_cfg_options'
]
