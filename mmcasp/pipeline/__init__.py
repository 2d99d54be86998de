# Copyright (c) mmcasp contributors. All rights reserved.
from .casp import STAGES, CaspPipeline, PipelineError, resolve_config
from .report import results_rows, write_report

__all__ = [
    'STAGES', 'CaspPipeline', 'PipelineError', 'resolve_config',
    'results_rows', 'write_report'
]
