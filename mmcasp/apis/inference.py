# Copyright (c) mmcasp contributors. All rights reserved.
"""Load a trained model for inference."""
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from mmcasp.registry import MODELS
from mmcasp.utils import register_all_modules

__all__ = ['load_detector']


def load_detector(config: Union[str, Config],
                  checkpoint: Optional[str],
                  device: Optional[str] = None) -> torch.nn.Module:
    """Build the model of ``config`` and load ``checkpoint`` (weights_only).

    Args:
        config: Config path or object.
        checkpoint: Checkpoint path (``None`` keeps the initialisation).
        device: Default ``cuda`` if available, else ``cpu``.

    Returns:
        The model in eval mode, with ``cfg`` and ``dataset_meta`` attached.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    register_all_modules(init_default_scope=False)
    model_cfg = cfg.model.copy()
    model_cfg.pop('init_cfg', None)  # the checkpoint replaces any init
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmcasp')):
        model = MODELS.build(model_cfg)
        if checkpoint is None:
            model.init_weights()
    if checkpoint is not None:
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        model.dataset_meta = ckpt.get('meta', {}).get('dataset_meta')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model.cfg = cfg
    return model.to(device).eval()
