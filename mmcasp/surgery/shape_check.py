# Copyright (c) mmcasp contributors. All rights reserved.
"""Check a transfer between two configs before anything is trained.

The pipeline's finetune transfers parts of the warmed-up model into the
target; a classifier that cannot be copied (``classifier='copy'`` from the
one-class warmup into an 80-class target), a part the target has not, or
layers of other shapes would only fail after the labeler, the pseudo labels
and the warmup have trained. :func:`transfer_problems` runs the very
transfer (:func:`~mmcasp.surgery.transfer_state_dict`) on the two models as
built, uninitialised (no weights are loaded or downloaded): seconds for an
R-50 pair on a CPU. (PyTorch's ``meta`` device would not even allocate,
but mmdet's EfficientNet reads tensor values while it is built.)
"""
from typing import Any, Optional, Sequence

import torch

from .fpn import FpnLayout
from .rules import detect_target_kind
from .transfer import TransferError, transfer_state_dict

__all__ = ['transfer_problems']


def _bare_model(cfg: Any) -> torch.nn.Module:
    """``cfg``'s model, built without initialising it."""
    from mmcasp.utils.build import build_model
    model_cfg = dict(cfg.model)
    model_cfg.pop('init_cfg', None)
    return build_model(
        model_cfg, cfg.get('default_scope', 'mmcasp'), init_weights=False)


def transfer_problems(src_cfg: Any,
                      dst_cfg: Any,
                      parts: Sequence[str],
                      classifier: str = 'random') -> Optional[str]:
    """Why transferring ``parts`` (and ``classifier``) from a model of
    ``src_cfg`` into one of ``dst_cfg`` would fail, or ``None``.

    Args:
        src_cfg, dst_cfg: Configs (mmengine ``Config``) with a ``model``.
        parts, classifier: As :func:`~mmcasp.surgery.transfer_state_dict`
            takes them.
    """
    src, dst = _bare_model(src_cfg), _bare_model(dst_cfg)
    need_neck = 'neck' in parts
    try:
        transfer_state_dict(
            src.state_dict(),
            dst.state_dict(),
            detect_target_kind(dst),
            parts=parts,
            classifier=classifier,
            src_fpn=FpnLayout.from_module(src.neck) if need_neck else None,
            dst_fpn=FpnLayout.from_module(dst.neck) if need_neck else None)
    except TransferError as e:
        return str(e)
    return None
