# Copyright (c) mmcasp contributors. All rights reserved.
"""Sweeps: a grid over pipeline settings, sharing the stages runs have in
common (one labeler for all δ values, one set of pseudo labels for all
finetune settings, ...)."""
import copy
import hashlib
import itertools
import json
import os.path as osp
from typing import Any, Dict, List, Sequence

from .records import round_stage

__all__ = [
    'expand_grid', 'labeler_is_baseline', 'set_dotted', 'stage_keys',
    'stage_settings', 'sweep_rows'
]

#: What each stage's result depends on (keys of the ``casp`` dict).
DEPENDS = {
    'labeler': ('data', 'labeler', 'seed'),
    'pseudo': ('data', 'labeler', 'pseudo', 'seed'),
    'warmup': ('data', 'labeler', 'pseudo', 'warmup', 'seed'),
    'finetune': ('data', 'labeler', 'pseudo', 'warmup', 'finetune', 'seed'),
}


def set_dotted(cfg: dict, key: str, value: Any) -> None:
    """``set_dotted(d, 'pseudo.delta', 0.3)`` sets ``d['pseudo']['delta']``."""
    *parents, last = key.split('.')
    node = cfg
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value


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


def stage_settings(casp: dict) -> Dict[str, dict]:
    """Per stage, the settings its result depends on (sub-dicts of the
    ``casp`` dict, see :data:`DEPENDS`). The baseline depends on the data
    and the finetune model/epochs, not on what is transferred (a
    ``baseline`` that is missing or None is the finetune's, as in
    :func:`~mmcasp.pipeline.settings.parse`). Each
    self-training round after the first (``rounds`` > 1) depends on the
    warmup's settings and its number; the finetune on the number of
    rounds."""
    out = {
        stage: {
            k: casp.get(k)
            for k in deps
        }
        for stage, deps in DEPENDS.items()
    }
    ft = {
        k: v
        for k, v in (casp.get('baseline') or casp['finetune']).items()
        if k not in ('parts', 'classifier')
    }
    out['baseline'] = dict(
        data=casp['data'], finetune=ft, seed=casp.get('seed'))
    labeler = casp.get('labeler') or {}
    cls = _labeler_class(labeler)
    if cls is not None:
        # what the labeler stage trains depends on (DAP's classifier: not
        # on the CAM rules); what labels depend on: every rule, defaults
        # resolved (a changed default is a changed setting)
        out['labeler']['labeler'] = cls.training_settings(labeler)
        for stage in ('pseudo', 'warmup', 'finetune'):
            out[stage]['labeler'] = cls.resolved_settings(labeler)
        if cls.shapes_baseline(labeler):
            # e.g. DAP's baseline starts from the labeler's classifier
            out['baseline']['labeler'] = cls.training_settings(labeler)
    if casp.get('pretrain_on', 'objects') != 'objects':
        # only when not the default: the digests of older runs hold
        for stage in ('labeler', 'pseudo', 'warmup', 'finetune'):
            out[stage] = dict(out[stage], pretrain_on=casp['pretrain_on'])
    rounds = casp.get('rounds') or 1
    if rounds > 1:  # self-training: later rounds and what they feed
        for r in range(2, rounds + 1):
            for stage in ('pseudo', 'warmup'):
                out[round_stage(stage, r)] = dict(out['warmup'], round=r)
        out['finetune'] = dict(out['finetune'], rounds=rounds)
    return out


def labeler_is_baseline(casp: dict) -> bool:
    """Whether the ``labeler`` stage would train the baseline's very model:
    a class-specific ``'detector'`` labeler whose settings (config, epochs,
    options) are the baseline's, on the same data with the same seed (the
    papers' class-specific pseudo-label ablation, whose labeler is the
    detector trained on the labeled split, as the baseline is). The
    pipeline then trains that model once. Compares the stages' settings
    (:func:`stage_settings`), so anything that makes the two differ (another
    config, epoch count, option, ``pretrain_on``) means two trainings."""
    from .settings import DEFAULT_LABELER
    labeler = casp.get('labeler') or {}
    if labeler.get('type', DEFAULT_LABELER) != 'detector' or \
            not (casp.get('pseudo') or {}).get('class_specific'):
        return False
    settings = stage_settings(casp)
    lab, base = dict(settings['labeler']), dict(settings['baseline'])

    def model(d):
        d = {k: v for k, v in (d or {}).items() if k != 'type'}
        d['cfg_options'] = d.get('cfg_options') or {}
        return d

    return model(lab.pop('labeler')) == model(base.pop('finetune')) and \
        lab == base


def _labeler_class(labeler: dict):
    """The registered labeler class a ``labeler`` dict names, or ``None``
    (an unknown type is reported by the pipeline's checks)."""
    from mmcasp.registry import LABELERS
    from .settings import DEFAULT_LABELER
    return LABELERS.get(labeler.get('type', DEFAULT_LABELER))


def stage_keys(casp: dict) -> Dict[str, str]:
    """A short key per stage from the settings it depends on
    (:func:`stage_settings`); runs with the same key share that stage's
    folder."""
    return {
        stage: f'{stage}-{_digest(list(settings.values()))}'
        for stage, settings in stage_settings(casp).items()
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
