# Copyright (c) mmcasp contributors. All rights reserved.
"""Sweeps: a grid over pipeline settings, sharing the stages runs have in
common (one labeler for all δ values, one set of pseudo labels for all
finetune settings, ...): runs whose stage depends on the same settings
(:func:`~mmcasp.pipeline.stage_graph.stage_dependencies`) share its
folder."""
import copy
import hashlib
import itertools
import json
import os.path as osp
from typing import Dict, List, Sequence

from mmcasp.utils import set_dotted
from .stage_graph import stage_dependencies

__all__ = ['expand_grid', 'stage_keys', 'sweep_rows']


def expand_grid(base: dict, grid: Dict[str, Sequence]) -> List[dict]:
    """Every combination of ``grid`` (dotted key -> values) applied to a
    copy of ``base``; returns ``dict(params, casp)`` per run, in a
    deterministic order."""
    keys = sorted(grid)
    runs = []
    for values in itertools.product(*(grid[k] for k in keys)):
        casp = copy.deepcopy(base)
        params = dict(zip(keys, values))
        for k, v in params.items():
            set_dotted(casp, k, v)
        runs.append(dict(params=params, casp=casp))
    return runs


def _digest(obj) -> str:
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def stage_keys(casp: dict) -> Dict[str, str]:
    """A short key per stage from the settings it depends on
    (:func:`~mmcasp.pipeline.stage_graph.stage_dependencies`); runs with
    the same key share that stage's folder."""
    return {
        stage: f'{stage}-{_digest(list(settings.values()))}'
        for stage, settings in stage_dependencies(casp).items()
    }


def sweep_rows(runs: List[dict]) -> List[dict]:
    """One row per run: its grid values and the finetune/baseline AP."""
    rows = []
    for run in runs:
        row = {
            k: json.dumps(v) if isinstance(v, (list, dict)) else v
            for k, v in run['params'].items()
        }
        res = run.get('results') or {}
        for stage, label in (('finetune', 'CaSP'), ('baseline', 'baseline')):
            m = (res.get(stage) or {}).get('metrics', {})
            row[f'{label} AP^det'] = m.get('coco/bbox_mAP')
            row[f'{label} AP^seg'] = m.get('coco/segm_mAP')
        pseudo = (res.get('pseudo') or {}).get('stats', {})
        row['pseudo labels/image'] = round(
            pseudo.get('labels_per_image_mean', 0.0), 2) if pseudo else None
        row['run'] = osp.basename(run['work_dir'])
        rows.append(row)
    return rows
