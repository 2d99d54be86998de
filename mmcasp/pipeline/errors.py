# Copyright (c) mmcasp contributors. All rights reserved.
"""Errors of the pipeline."""

__all__ = ['PipelineError']


class PipelineError(ValueError):
    """A configuration problem found before (or between) stages."""
