# Copyright (c) mmcasp contributors. All rights reserved.
"""Build a model outside a Runner (tools, inference) without flooding the
screen, and load a trained one for inference.

mmengine's ``BaseModule.init_weights`` logs one INFO record per parameter
(name, shape, initialiser) to the current ``MMLogger`` when that logger has
no file handler: several hundred lines for the toy CondInst, thousands for
an R-50 model. A Runner sends them to its log file; a tool has no log file,
so they went to the terminal ahead of the one line that mattered.

With the offline switch on (``MMCASP_OFFLINE=1``), :func:`build_model`
replaces the pretrained checkpoints that would be downloaded by random init
(:mod:`mmcasp.utils.pretrained`) and says so in one warning.
"""
import copy
import logging
from contextlib import contextmanager
from typing import Iterator, Optional, Union

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger, print_log
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope

from .pretrained import apply_offline, offline_enabled

__all__ = ['build_model', 'quiet_logs', 'load_detector']


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
    initialisation report kept off the screen (:func:`quiet_logs`).
    With ``MMCASP_OFFLINE=1`` an initialised model loads no checkpoint
    that would be downloaded (``model_cfg`` itself is not changed)."""
    from mmcasp.registry import MODELS
    from .setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    if init_weights and offline_enabled():
        model_cfg = copy.deepcopy(model_cfg)
        report = apply_offline(model_cfg, True)
        if report.replaced:
            print_log(
                'MMCASP_OFFLINE=1: random weights instead of ' +
                ', '.join(f'{s.checkpoint} ({s.module})'
                          for s in report.replaced),
                logger='current',
                level=logging.WARNING)
    with DefaultScope.overwrite_default_scope(scope), quiet_logs():
        model = MODELS.build(model_cfg)
        if init_weights:
            model.init_weights()
    return model


def load_detector(config: Union[str, Config],
                  checkpoint: Optional[str],
                  device: Optional[str] = None) -> torch.nn.Module:
    """Build the model of ``config`` and load ``checkpoint`` (mmcasp's safe
    loader), for inference.

    SyncBN layers (a multi-GPU training config's) become plain BN, as in
    mmdet's ``init_detector``: SyncBN needs a process group and a GPU,
    which a labeling or evaluation process may have neither of.

    Args:
        config: Config path or object.
        checkpoint: Checkpoint path (``None`` keeps the initialisation).
        device: Default ``cuda`` if available, else ``cpu``.

    Returns:
        The model in eval mode, with ``cfg`` and ``dataset_meta`` attached.
    """
    from mmengine.runner import load_checkpoint
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    model_cfg = cfg.model.copy()
    model_cfg.pop('init_cfg', None)  # the checkpoint replaces any init
    model = build_model(
        model_cfg,
        cfg.get('default_scope', 'mmcasp'),
        init_weights=checkpoint is None)
    model = revert_sync_batchnorm(model)
    if checkpoint is not None:
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        model.dataset_meta = ckpt.get('meta', {}).get('dataset_meta')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model.cfg = cfg
    return model.to(device).eval()
