# Copyright (c) mmcasp contributors. All rights reserved.
from .casp import (STAGES, CaspPipeline, PipelineError, prepare_casp,
                   resolve_config)
from .options import CASP_KEYS, apply_cfg_options
from .report import plot_sweep, results_rows, write_report, write_table
from .sweep import (expand_grid, set_dotted, stage_keys, stage_settings,
                    sweep_rows)

__all__ = [
    'STAGES', 'CaspPipeline', 'PipelineError', 'prepare_casp',
    'resolve_config', 'plot_sweep', 'results_rows', 'write_report',
    'write_table', 'expand_grid', 'set_dotted', 'stage_keys', 'stage_settings',
    'sweep_rows', 'CASP_KEYS', 'apply_cfg_options'
]
