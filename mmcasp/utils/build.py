# Copyright (c) mmcasp contributors. All rights reserved.
"""Build a model outside a Runner (tools, inference) without flooding the
screen.

mmengine's ``BaseModule.init_weights`` logs one INFO record per parameter
(name, shape, initialiser) to the current ``MMLogger`` when that logger has
no file handler: several hundred lines for the toy CondInst, thousands for
an R-50 model. A Runner sends them to its log file; a tool has no log file,
so they went to the terminal ahead of the one line that mattered.
"""
import logging
from contextlib import contextmanager
from typing import Iterator

import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

__all__ = ['build_model', 'quiet_logs']


@contextmanager
def quiet_logs(level: int = logging.WARNING) -> Iterator[MMLogger]:
    """Inside the block the current ``MMLogger`` drops records below
    ``level`` (default: INFO is dropped; warnings and errors still show).
    Its previous level is restored afterwards, also on an exception."""
    logger = MMLogger.get_current_instance()
    previous = logger.level
    logger.setLevel(max(previous, level))
    try:
        yield logger
    finally:
        logger.setLevel(previous)


def build_model(model_cfg: dict,
                scope: str = 'mmcasp',
                init_weights: bool = True) -> torch.nn.Module:
    """Build ``model_cfg`` in registry scope ``scope`` (mmcasp's and mmdet's
    modules registered) and, unless ``init_weights=False``, initialise it,
    with mmengine's INFO logging of the build and the per-parameter
    initialisation report kept off the screen (:func:`quiet_logs`)."""
    from mmcasp.registry import MODELS
    from .setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(scope), quiet_logs():
        model = MODELS.build(model_cfg)
        if init_weights:
            model.init_weights()
    return model
