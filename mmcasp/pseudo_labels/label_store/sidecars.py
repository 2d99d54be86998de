# Copyright (c) mmcasp contributors. All rights reserved.
"""What each labeling process says about its run, beside its records.

A rank (or an independent job, ``--part i/N``) that finishes its share
writes ``run-<tag>.json`` (its settings: info, categories, refused
entries, ``drop_empty``; its part; how many images it labeled and how
long it took) and ``run-<tag>.ids.npy`` (the image ids it was to label).
:func:`merge_sidecars` reads them all for a build: the settings must
agree (records of different runs are not mixed silently), every part of
independent jobs must have finished, and the union of the ids is what the
records must cover.
"""
import glob
import os
import os.path as osp
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmcasp.utils.fileio import dump_json_atomic
from mmcasp.utils.input_files import InputFileError, load_json
from .errors import IncompleteRecordsError, LabelStoreError

__all__ = ['RunSettings', 'write_sidecar', 'merge_sidecars', 'sidecar_paths']

#: The settings every sidecar of one store must agree on.
SETTING_KEYS = ('categories', 'info', 'refused', 'drop_empty')


@dataclass
class RunSettings:
    """The merged sidecars of a records folder (defaults: no sidecar,
    e.g. record files made by another program)."""
    categories: Optional[List[dict]] = None
    info: dict = field(default_factory=dict)
    refused: Dict[str, int] = field(default_factory=dict)
    drop_empty: bool = True
    ids: Optional[np.ndarray] = None
    run: dict = field(default_factory=dict)


def sidecar_paths(records_dir: str) -> List[str]:
    return sorted(glob.glob(osp.join(records_dir, 'run-*.json')))


def write_sidecar(records_dir: str, tag: str, ids: np.ndarray, settings: dict,
                  rank: int, world: int, part: Optional[Tuple[int, int]],
                  images_labeled: int, wall_s: float) -> str:
    """Write the sidecar of one finished labeling process; returns its
    path. ``settings``: the values of :data:`SETTING_KEYS` (JSON)."""
    base = osp.join(records_dir, f'run-{tag}')
    tmp = f'{base}.ids.tmp.npy'
    np.save(tmp, np.asarray(ids, dtype='<i8'))
    os.replace(tmp, base + '.ids.npy')
    dump_json_atomic(
        dict(
            tag=tag,
            rank=rank,
            world=world,
            part=list(part) if part else None,
            images_labeled=images_labeled,
            wall_s=round(wall_s, 3),
            **{k: settings[k]
               for k in SETTING_KEYS}), base + '.json')
    return base + '.json'


def _differs(a, b, prefix='') -> str:
    """The first key path where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f'{prefix}{k}'
            sub = _differs(a[k], b[k], f'{prefix}{k}.')
            if sub:
                return sub
        return ''
    return '' if a == b else prefix.rstrip('.') or '(value)'


def _missing_parts(parts: Dict[int, Dict[int, set]], n: int) -> List[int]:
    """Parts (0-based) without one complete group of ranks."""
    missing = []
    for i in range(n):
        groups = parts.get(i, {})
        if not any(ranks == set(range(w)) for w, ranks in groups.items()):
            missing.append(i)
    return missing


def merge_sidecars(records_dir: str,
                   paths: Optional[Sequence[str]] = None) -> RunSettings:
    """The settings of the runs whose records are in ``records_dir``.

    Raises:
        LabelStoreError: Sidecars of different settings (different
            labelers, δ, categories... : records of different runs), or
            an unreadable sidecar.
        IncompleteRecordsError: Independent jobs of which some part (or
            some rank of a part) has not finished.
    """
    paths = sidecar_paths(records_dir) if paths is None else paths
    if not paths:
        return RunSettings()
    first, first_path = None, None
    parts: Dict[int, Dict[int, set]] = defaultdict(lambda: defaultdict(set))
    n_parts = set()
    ids, images, wall = [], 0, 0.0
    for path in paths:
        try:
            side = load_json(path, 'labeling run sidecar')
        except InputFileError as e:
            raise LabelStoreError(f'{e}; delete it and run that labeling '
                                  'job again') from None
        settings = {k: side.get(k) for k in SETTING_KEYS}
        if first is None:
            first, first_path = settings, path
        else:
            key = _differs(first, settings)
            if key:
                raise LabelStoreError(
                    f'{records_dir} holds records of different labeling '
                    f'runs: {osp.basename(first_path)} and '
                    f'{osp.basename(path)} differ in {key}. Label into a '
                    'new folder, or delete the records (and run-*.json) '
                    'of the run you do not want')
        part = side.get('part')
        if part:
            n_parts.add(part[1])
            parts[part[0]][side['world']].add(side['rank'])
        ids_path = path[:-len('.json')] + '.ids.npy'
        if osp.isfile(ids_path):
            ids.append(np.load(ids_path, allow_pickle=False))
        images += int(side.get('images_labeled', 0))
        wall = max(wall, float(side.get('wall_s', 0.0)))
    if len(n_parts) > 1:
        raise LabelStoreError(
            f'{records_dir} holds parts of runs cut into different numbers '
            f'of parts ({sorted(n_parts)}); keep the records of one')
    run = dict(images_labeled=images, wall_s=round(wall, 3))
    if n_parts:
        n = n_parts.pop()
        missing = _missing_parts(parts, n)
        if missing:
            raise IncompleteRecordsError(
                f'{records_dir}: {len(missing)} of {n} parts have not '
                'finished (no run-part-*.json of theirs): parts ' +
                ', '.join(f'{i}/{n}' for i in missing[:10]) +
                ('...' if len(missing) > 10 else '') +
                '; run them (tools/pseudo_label.py ... --part I/N; a '
                'stopped part resumes) and build again')
        run['parts'] = n
    return RunSettings(
        categories=first['categories'],
        info=dict(first['info'] or {}),
        refused=dict(first['refused'] or {}),
        drop_empty=bool(first['drop_empty']),
        ids=np.unique(np.concatenate(ids)) if ids else None,
        run=run)
