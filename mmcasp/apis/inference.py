# Copyright (c) mmcasp contributors. All rights reserved.
"""Load a trained model for inference."""
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmcasp.utils.build import build_model

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
    model_cfg = cfg.model.copy()
    model_cfg.pop('init_cfg', None)  # the checkpoint replaces any init
    model = build_model(
        model_cfg,
        cfg.get('default_scope', 'mmcasp'),
        init_weights=checkpoint is None)
    if checkpoint is not None:
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        model.dataset_meta = ckpt.get('meta', {}).get('dataset_meta')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model.cfg = cfg
    return model.to(device).eval()
