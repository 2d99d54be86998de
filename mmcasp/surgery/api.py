# Copyright (c) mmcasp contributors. All rights reserved.
"""Transfer into a built model or a config (what the tool and the init
call)."""
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
from mmengine.config import Config

from .fpn import FpnLayout
from .rules import detect_target_kind
from .source import load_source
from .transfer import TransferError, transfer_state_dict

__all__ = ['source_fpn_layout', 'transfer_into_model', 'build_target_model']


def source_fpn_layout(meta: dict,
                      src_neck: Optional[Dict[str, Any]] = None) -> FpnLayout:
    """FPN layout of the source: ``src_neck`` if given, else the neck of
    the config saved in a Runner checkpoint's ``meta['cfg']``."""
    if src_neck is not None:
        return FpnLayout.from_cfg(src_neck)
    cfg_text = meta.get('cfg')
    if not cfg_text:
        raise TransferError(
            'the source checkpoint carries no config (meta.cfg): give the '
            "source neck, e.g. src_neck=dict(type='FPN', in_channels=[256, "
            "512, 1024, 2048], start_level=1, add_extra_convs='on_output', "
            'num_outs=5)')
    cfg = Config.fromstring(cfg_text, '.py')
    return FpnLayout.from_cfg(cfg.model.neck)


def transfer_into_model(
        model: torch.nn.Module,
        src: Any,
        parts: Sequence[str] = ('backbone', 'neck', 'head'),
        classifier: str = 'random',
        src_neck: Optional[Dict[str, Any]] = None,
        prefix: Optional[str] = None) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Transfer ``src`` (path or loaded checkpoint) into a built model.

    The model's current state is used for every key that is not
    transferred. ``classifier``: ``'random'`` keeps the model's classifier,
    ``'replicate'`` copies a one-channel (class-agnostic) source classifier
    to every class, ``'copy'`` takes a source classifier of the same shape
    (same classes) and raises on a 1 -> N transfer. Returns ``(state,
    report)``; the model is not modified.
    """
    src_state, meta = load_source(src, prefix)
    kind = detect_target_kind(model)
    need_neck = 'neck' in parts
    src_fpn = source_fpn_layout(meta, src_neck) if need_neck else None
    dst_fpn = FpnLayout.from_module(model.neck) if need_neck else None
    state, report = transfer_state_dict(
        src_state,
        model.state_dict(),
        kind,
        parts=parts,
        classifier=classifier,
        src_fpn=src_fpn,
        dst_fpn=dst_fpn)
    report['source_prefix'] = meta.get('source_prefix', '')
    return state, report


def build_target_model(config: Any) -> Tuple[torch.nn.Module, Config]:
    """Build and initialise the model of a config (path or Config), in the
    config's default scope, without its transfer init (if any)."""
    from mmcasp.utils.build import build_model
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    model_cfg = cfg.model.copy()
    init = model_cfg.get('init_cfg')
    if isinstance(init, dict) and init.get('type') in ('CaSPTransfer',
                                                       'mmcasp.CaSPTransfer'):
        model_cfg.pop('init_cfg')
    model = build_model(model_cfg, cfg.get('default_scope', 'mmcasp'))
    return model, cfg
