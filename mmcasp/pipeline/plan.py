# Copyright (c) mmcasp contributors. All rights reserved.
"""What a run would do, before anything trains (``tools/casp.py
--dry-run``): per stage its status, config, training data, epochs and
iterations, and the weights it starts from; then what would be downloaded
and what the checks found. Reads configs and annotation files only: no
model is built, nothing is downloaded or written. With ``time_iters``
(``--time-iters N``), each stage to run is also timed on a few steps of
its own config and data (:mod:`~mmcasp.pipeline.stage_timing`) and the
plan gives an estimated time."""
import math
import os.path as osp
from typing import Dict, List, Optional

from mmcasp.utils import (InputFileError, format_stage_init_reports,
                          init_report, load_json)
from .errors import PipelineError
from .settings import StageSettings
from .stage_configs import (innermost_dataset, with_overrides,
                            with_transfer_init)
from .stage_graph import StageId

__all__ = [
    'stage_training', 'planned_config', 'timing_config', 'validation_runs',
    'checkpoint_saves', 'plan_rows', 'format_plan'
]


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


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f'{seconds:.0f} s'
    if seconds < 2 * 3600:
        return f'{seconds / 60:.0f} min'
    return f'{seconds / 3600:.1f} h'


def done_pseudo_labels(ctx, round_: int = 1) -> Optional[dict]:
    """The train split (``ann``, ``img``) of the pseudo labels of
    ``round_`` when its pseudo stage is done and made labels, else
    ``None``."""
    rec = ctx.records.get(StageId('pseudo', round_).name) or {}
    if 'file' not in rec or not rec.get('image_root'):
        return None
    return dict(ann=rec['file'], img=rec['image_root'])


def timing_config(ctx, kind: str, training: StageSettings, round_: int = 1):
    """The Runner config a training stage kind is timed with: its own
    config on the labeled split, validated on the val split; for the pseudo
    stage, the labeler's config (its test pipeline and model). A warmup is
    timed on its round's pseudo labels once they exist (a dry run after
    the pseudo stage: their label density is what a warmup iteration
    costs), before that on the labeled images."""
    pretrain = kind in ('labeler', 'warmup')
    split = ctx.pretrain_split('labeled') if pretrain else \
        ctx.split('labeled')
    if kind == 'warmup':
        split = done_pseudo_labels(ctx, round_) or split
    class_specific = ctx.pseudo.class_specific if pretrain else True
    return ctx.stage_config(kind, training, split, class_specific, pretrain)


def validation_runs(train_cfg: dict, epochs: int) -> int:
    """How many times an epoch-based training of ``epochs`` validates
    (mmengine's ``EpochBasedTrainLoop``: after each epoch ``e >=
    val_begin`` with ``e % val_interval == 0``, and after the last)."""
    if train_cfg.get('type') == 'IterBasedTrainLoop' or \
            train_cfg.get('by_epoch') is False:
        return 0
    every = train_cfg.get('val_interval', 1)
    begin = train_cfg.get('val_begin', 1)
    return sum(1 for e in range(1, epochs + 1)
               if e >= begin and (e % every == 0 or e == epochs))


def checkpoint_saves(default_hooks: dict, epochs: int) -> int:
    """How many checkpoints an epoch-based training of ``epochs`` saves
    (mmengine's ``CheckpointHook``: every ``interval`` epochs, and the
    last with ``save_last``, its default)."""
    hook = default_hooks.get('checkpoint') or {}
    if not hook or hook.get('by_epoch') is False:
        return 0
    every = hook.get('interval', -1)
    last = 1 if hook.get('save_last', True) else 0
    if every <= 0:
        return last
    return epochs // every + (last if epochs % every else 0)


def _estimate(ctx, sid, training, row: dict, n_images: str,
              time_iters: int) -> Optional[float]:
    """Time the stage (training iterations, or labeling for ``pseudo``);
    fill ``row['time (est.)']`` (text) and ``row['_seconds']``; the
    seconds, or ``None`` if not timed."""
    from .stage_timing import (seconds_per_image, seconds_per_labeled_image,
                               time_training)
    try:
        if sid.kind == 'pseudo':
            from mmcasp.datasets import list_images
            cfg = timing_config(ctx, 'labeler', training)
            d = ctx.split('unlabeled')
            # as arrays, as the stage lists them (a source of millions)
            entries, _, root = list_images(d['ann'], d['img'])
            per = seconds_per_labeled_image(cfg, ctx.pseudo, entries, root,
                                            time_iters)
            total = per * int(n_images)
            row['time (est.)'] = f'{_duration(total)} ({per:.3g} s/image' + (
                ', with flip TTA)' if ctx.pseudo.flip else ')')
            row['_seconds'] = total
            return total
        cfg = timing_config(ctx, sid.kind, training, sid.round)
        epochs = training.epochs or cfg.train_cfg.get('max_epochs')
        if (not epochs or cfg.train_cfg.get('type') == 'IterBasedTrainLoop'
                or cfg.train_cfg.get('by_epoch') is False):
            raise ValueError('only epoch-based schedules are estimated')
        timed = time_training(cfg, time_iters)
        per = timed.iteration
        total = timed.total(
            math.ceil(int(n_images) / cfg.train_dataloader.batch_size), epochs,
            checkpoint_saves(cfg.get('default_hooks', {}), epochs))
        runs = validation_runs(cfg.train_cfg, epochs)
        n_val = _images(innermost_dataset(
            cfg.val_dataloader).get('ann_file')) if runs else '0'
        val = 0.0
        if runs and n_val.isdigit():
            val = runs * int(n_val) * seconds_per_image(
                cfg, time_iters * cfg.val_dataloader.batch_size,
                cfg.val_dataloader.batch_size)
        row['time (est.)'] = (f'{_duration(total + val)} ({per:.3g} s/iter; '
                              f'validation {runs} x {n_val} images: '
                              f'{_duration(val)})')
        row['_seconds'] = total + val
        return total + val
    except Exception as e:  # a report, not a run: say why, go on
        why = str(e).splitlines()[0][:120] if str(e) else ''
        row['time (est.)'] = f'not timed ({type(e).__name__}: {why})'
        return None


def plan_rows(pipe, time_iters: int = 0) -> List[dict]:
    """One row per stage of the run: ``stage``, ``status``, and for a
    training stage ``config``, ``train images``, ``epochs``,
    ``iterations`` (per epoch x epochs, at the config's batch size) and
    ``starts from`` (the backbone's initial weights, after the offline
    switch). With ``time_iters`` > 0, a stage to run also gets ``time
    (est.)``: its training timed on ``time_iters`` iterations (after one
    more; :func:`~mmcasp.pipeline.stage_timing.time_training`) times its
    iterations, plus each epoch's start and its validations (timed on
    ``time_iters`` batches), and the checkpoints it saves (serialised in
    memory: logging and the disk writes are not counted); a pseudo stage,
    its own labeling loop on the unlabeled images (the pipeline's
    labeling settings, flip TTA and CPU workers included) timed on
    ``time_iters`` batches
    (:func:`~mmcasp.pipeline.stage_timing.seconds_per_labeled_image`)
    times the unlabeled images. A pseudo stage is timed with the labeler's
    untrained model (its prediction count, hence the mask time, differs
    from a trained one's), a warmup on its pseudo labels once they exist,
    before that on labeled images (:func:`timing_config`)."""
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
            pseudo = ctx.records.get(StageId('pseudo', sid.round).name) or {}
            kept = (pseudo.get('stats') or {}).get('images_kept')
            if split == 'unlabeled' and kept is not None:
                n, images = str(kept), f'{kept} (pseudo-labeled)'
            else:
                images = f'<= {n} (pseudo-labeled)' \
                    if split == 'unlabeled' else n
            iters = (f'{math.ceil(int(n) / batch)} x {epochs}'
                     if n.isdigit() and epochs else '?')
            row.update({
                'config': training.config,
                'train images': images,
                'epochs': epochs,
                'iterations': f'{iters} at batch {batch} per process',
                'starts from': init_report(cfg).backbone
            })
            if time_iters > 0 and not rec and n.isdigit():
                _estimate(ctx, sid, training, row, n, time_iters)
        elif sid.kind == 'pseudo':
            if 'unlabeled' not in counts:
                counts['unlabeled'] = _images(ctx.split('unlabeled')['ann'])
            row['train images'] = f"labels {counts['unlabeled']}"
            labeler = stage_training(ctx, 'labeler')
            if (time_iters > 0 and not rec and labeler is not None
                    and counts['unlabeled'].isdigit()):
                _estimate(ctx, sid, labeler, row, counts['unlabeled'],
                          time_iters)
        rows.append(row)
    return rows


def _total_line(rows: List[dict], time_iters: int) -> str:
    """The sum of the estimates, and what it leaves out."""
    seconds = [r['_seconds'] for r in rows if '_seconds' in r]
    untimed = [
        r['stage'] for r in rows if r['status'] == 'to run'
        and '_seconds' not in r and r['stage'] != 'evaluate'
    ]
    if not seconds:
        return ('estimated time: none (no stage to run could be timed: '
                'see each stage\'s row and the checks below)')
    return (f'estimated time of the stages to run: {_duration(sum(seconds))}'
            ' (training, validation, checkpoints and labeling in this '
            f'process, each timed on {time_iters} iterations; logging and '
            'writing checkpoints to disk and the evaluate stage not counted' +
            (f'; not timed: {", ".join(untimed)}' if untimed else '') + ')')


def format_plan(pipe, time_iters: int = 0) -> str:
    """The plan as text: the stage table (with ``time_iters``, each stage's
    estimated time and their sum), every training stage's initial weights
    (what would be downloaded), and the problems the checks find (a dry
    run lists them instead of stopping)."""
    rows = plan_rows(pipe, time_iters)
    keys: List[str] = []
    for r in rows:  # '_seconds': the estimate as a number, not shown
        keys += [k for k in r if k not in keys and not k.startswith('_')]
    lines = ['| ' + ' | '.join(keys) + ' |', '|' + '---|' * len(keys)]
    lines += [
        '| ' + ' | '.join(str(r.get(k, '')) for k in keys) + ' |' for r in rows
    ]
    if time_iters > 0:
        lines += ['', _total_line(rows, time_iters)]
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
