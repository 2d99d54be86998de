# Copyright (c) mmcasp contributors. All rights reserved.
"""``--cfg-options`` for a pipeline config.

Keys are dotted paths into the pipeline config, as mmdet's tools take them
for model configs (``casp.warmup.epochs=1``, ``toy.num_images.labeled=24``,
``data_root=/data/x``). A key that starts with a setting of the ``casp``
dict is read inside it, exactly as sweep grids name settings
(``warmup.epochs=1`` is ``casp.warmup.epochs=1``). Values are parsed by
mmengine's ``DictAction`` and merged with ``Config.merge_from_dict``.
"""
import dataclasses
from typing import Dict

from mmengine.config import Config

from .errors import PipelineError
from .settings import CaspSettings

__all__ = ['CASP_KEYS', 'apply_cfg_options']

#: Settings of the ``casp`` dict a sweep grid or ``--cfg-options`` may
#: name without the ``casp.`` prefix.
CASP_KEYS = tuple(f.name for f in dataclasses.fields(CaspSettings))


def apply_cfg_options(cfg: Config, options: Dict[str, object]) -> Dict:
    """Merge ``options`` (dotted key -> value) into the pipeline config
    ``cfg`` in place; returns them with their full keys.

    Raises:
        PipelineError: a key names neither a top-level entry of the config
            nor a ``casp`` setting (a typo would otherwise add a setting
            nothing reads).
    """
    top = set(cfg.keys())
    casp = set(CASP_KEYS) | set(cfg.get('casp', {}))
    full, unknown = {}, []
    for key, value in (options or {}).items():
        head = key.split('.')[0]
        if head in top:
            full[key] = value
        elif head in casp:
            full[f'casp.{key}'] = value
        else:
            unknown.append(key)
    if unknown:
        raise PipelineError(
            f'--cfg-options {" ".join(unknown)}: a key must start with an '
            f'entry of the pipeline config ({", ".join(sorted(top))}) or a '
            f'setting of its casp dict ({", ".join(sorted(casp))})')
    cfg.merge_from_dict(full)
    return full
