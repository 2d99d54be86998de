# Copyright (c) mmcasp contributors. All rights reserved.
"""What a run would do, before anything trains (``tools/casp.py
--dry-run``): per stage its status, config, training data, epochs and
iterations, and the weights it starts from; then what would be downloaded
and what the checks found. Reads configs and annotation files only: no
model is built, nothing is downloaded or written."""
import math
import os.path as osp
from typing import Dict, List, Optional

from mmcasp.utils import (InputFileError, format_stage_init_reports,
                          init_report, load_json)
from .errors import PipelineError
from .settings import StageSettings
from .stage_configs import with_overrides, with_transfer_init

__all__ = ['stage_training', 'planned_config', 'plan_rows', 'format_plan']


def stage_training(ctx, kind: str) -> Optional[StageSettings]:
    """The training a built-in stage kind runs (``None``: none, or a
    stage of one's own)."""
    if kind == 'labeler':
        trained = ctx.labeler.trained_model(ctx.settings.labeler)
        return StageSettings(**trained) if trained is not None else None
    if kind in ('warmup', 'finetune', 'baseline'):
        return getattr(ctx.settings, kind)
    return None


def planned_config(ctx, kind: str, training: StageSettings):
    """The config a training stage would train, as far as it is known
    before any stage ran: its options merged, and for the class-specific
    stages the init the pipeline sets (the finetune transfers from the
    model ``finetune.init_from`` names, the baseline starts from the
    config's plain init)."""
    cfg = with_overrides(
        ctx.load_stage_config(training.config), training.cfg_options)
    if kind in ('finetune', 'baseline'):
        ft = ctx.settings.finetune
        source = f'<the {ft.init_from} stage\'s last checkpoint>' \
            if kind == 'finetune' else None
        cfg = with_transfer_init(cfg, source, ft.parts, ft.classifier)
    return cfg


def _images(path: Optional[str]) -> str:
    """How many images a COCO file or an image folder lists."""
    if not path or not osp.exists(path):
        return f'missing ({path})'
    if osp.isdir(path):
        from mmcasp.datasets import list_images
        return str(len(list_images(path)[0]))
    try:
        return str(len(load_json(path).get('images', [])))
    except InputFileError as e:
        return f'unreadable ({e})'


#: the split each training kind trains on
TRAIN_SPLIT = dict(
    labeler='labeled',
    warmup='unlabeled',
    finetune='labeled',
    baseline='labeled')


def plan_rows(pipe) -> List[dict]:
    """One row per stage of the run: ``stage``, ``status``, and for a
    training stage ``config``, ``train images``, ``epochs``,
    ``iterations`` (per epoch x epochs, at the config's batch size) and
    ``starts from`` (the backbone's initial weights, after the offline
    switch)."""
    ctx = pipe.ctx
    rows, counts = [], {}
    for sid in pipe.plan:
        rec = ctx.records.get(sid.name)
        row = {
            'stage': sid.name,
            'status': f"done ({rec.get('wall_s', '?')} s)" if rec else 'to run'
        }
        training = stage_training(ctx, sid.kind)
        if training is not None and not ctx.config_problems(
                sid.kind, training.config):
            cfg = planned_config(ctx, sid.kind, training)
            split = TRAIN_SPLIT[sid.kind]
            if split not in counts:
                counts[split] = _images(ctx.split(split)['ann'])
            epochs = training.epochs or cfg.train_cfg.get('max_epochs')
            batch = cfg.train_dataloader.batch_size
            n = counts[split]
            iters = (f'{math.ceil(int(n) / batch)} x {epochs}'
                     if n.isdigit() and epochs else '?')
            row.update({
                'config':
                training.config,
                'train images':
                (f'<= {n} (pseudo-labeled)' if split == 'unlabeled' else n),
                'epochs':
                epochs,
                'iterations':
                f'{iters} at batch {batch} per process',
                'starts from':
                init_report(cfg).backbone
            })
        elif sid.kind == 'pseudo':
            if 'unlabeled' not in counts:
                counts['unlabeled'] = _images(ctx.split('unlabeled')['ann'])
            row['train images'] = f"labels {counts['unlabeled']}"
        rows.append(row)
    return rows


def format_plan(pipe) -> str:
    """The plan as text: the stage table, every training stage's initial
    weights (what would be downloaded), and the problems the checks find
    (a dry run lists them instead of stopping)."""
    rows = plan_rows(pipe)
    keys: List[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    lines = ['| ' + ' | '.join(keys) + ' |', '|' + '---|' * len(keys)]
    lines += [
        '| ' + ' | '.join(str(r.get(k, '')) for k in keys) + ' |' for r in rows
    ]
    reports: Dict[str, object] = {}
    for sid in pipe.plan:
        training = stage_training(pipe.ctx, sid.kind)
        if training is not None and not pipe.ctx.config_problems(
                sid.kind, training.config):
            reports[sid.name] = init_report(
                planned_config(pipe.ctx, sid.kind, training))
    lines += ['', 'initial weights:', format_stage_init_reports(reports)]
    try:
        pipe.validate()
        lines += ['', 'checks: nothing to fix']
    except PipelineError as e:
        lines += ['', f'checks: {e}']
    return '\n'.join(lines)
