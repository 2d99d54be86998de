# Copyright (c) mmcasp contributors. All rights reserved.
"""Read the source state dict of a transfer, safely."""
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple

import torch

from mmcasp.utils.checkpoint import safe_torch_load

__all__ = ['load_source', 'strip_wrapper_prefix']

#: Prefixes of wrapped models, tried in this order. ``teacher.`` first: a
#: semi-supervised (mean teacher) checkpoint is transferred from the teacher.
WRAPPER_PREFIXES = ('teacher.', 'ema_model.module.', 'ema_model.', 'module.')


def strip_wrapper_prefix(
        state: Dict[str, torch.Tensor],
        prefix: Optional[str] = None) -> Tuple[Dict[str, torch.Tensor], str]:
    """Keep the keys under one wrapper prefix and strip it.

    Args:
        state: A state dict.
        prefix: The prefix to use (``''`` for none). ``None`` picks the
            first of :data:`WRAPPER_PREFIXES` that starts any key (e.g. the
            teacher of a mean-teacher model, mmengine EMA weights, a
            DataParallel ``module.``), or none.

    Returns:
        tuple: (state dict without the prefix, the prefix used).
    """
    if prefix is None:
        prefix = next(
            (p
             for p in WRAPPER_PREFIXES if any(k.startswith(p) for k in state)),
            '')
    if not prefix:
        return OrderedDict(state), ''
    out = OrderedDict(
        (k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))
    if not out:
        raise KeyError(f'no key starts with prefix {prefix!r}')
    return out, prefix


def load_source(
        src: Any,
        prefix: Optional[str] = None) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Load a transfer source.

    Args:
        src: A checkpoint path (mmengine Runner checkpoint with ``meta``,
            message hub and optimizer state, or a plain state dict), or an
            already loaded dict. Files are read with ``weights_only=True``.
        prefix: See :func:`strip_wrapper_prefix`.

    Returns:
        tuple: ``(state_dict, meta)``; ``meta`` is the checkpoint's ``meta``
        (may hold ``cfg``, the source config text) plus ``source_prefix``.
    """
    ckpt = safe_torch_load(src, 'cpu') if isinstance(src, str) else src
    if not isinstance(ckpt, dict):
        raise TypeError(f'unsupported checkpoint content: {type(ckpt)}')
    meta = dict(ckpt.get('meta', {}) or {})
    state = ckpt.get('state_dict', ckpt)
    state = OrderedDict(
        (k, v) for k, v in state.items() if isinstance(v, torch.Tensor))
    if not state:
        raise ValueError('the checkpoint holds no tensors')
    state, used = strip_wrapper_prefix(state, prefix)
    meta['source_prefix'] = used
    return state, meta
