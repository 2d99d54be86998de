# Copyright (c) mmcasp contributors. All rights reserved.
"""Does detection-aware pretraining help on real images? COCO-mini
benchmark of baseline, CaSP, class-specific pseudo labels, DAP and PreDet.

    python benchmarks/coco_mini.py --data-root ../shared/data/coco-mini \\
        --profile gpu --seeds 0 1 2 [--methods casp dap ...] \\
        [--eval-set NAME ANN.json IMG_DIR ...] [--work-dir DIR]

Every method finetunes the same class-specific CondInst (ImageNet
EfficientNet-Lite0 + FPN, 80 classes) on the 100 labeled images with the
same schedule; they differ in what it starts from:

- ``baseline``: the ImageNet backbone (random FPN and heads);
- ``casp``: class-agnostic labeler on labeled -> pseudo labels on the
  unlabeled images (delta 0.2) -> warmup -> finetune (backbone, neck,
  heads);
- ``casp-cs``: the same with the 80 classes kept by labeler, pseudo labels
  and warmup (the papers' Objects(P,S) ablation); classifier copied. Its
  labeler, the 80-class CondInst trained on the labeled images, is the
  baseline's model (same config, epochs and seed), so the pipeline takes
  the baseline's instead of training it twice;
- ``dap``: CAM boxes of the ImageNet EfficientNet-Lite0 classifier on the
  unlabeled images -> box-only FCOS warmup -> finetune (backbone, neck, box
  head);
- ``predet``: PreDet on the unlabeled images -> finetune (backbone, neck);
- ``casp-r2``: CaSP with one self-training round more (round 2 relabels
  with round 1's warmed-up model, a stronger labeler made from the same
  images); shares round 1 with ``casp``.

Each (method, seed) is a :class:`~mmcasp.pipeline.CaspPipeline` under
``<work-dir>/seed<S>/<method>/`` (every stage keeps its checkpoints and
config, so the models can be scored later on sets they never saw); the
baseline is shared by all methods of a seed. Re-running skips finished
stages; with ``--score-only`` nothing trains: the finished runs' saved
checkpoints are scored (val and each ``--eval-set``) and runs with a stage
still to train are skipped, so one command rescores a benchmark whose
methods ran on different seeds (e.g. ``casp-r2`` on seed 0 only). The
labelers' pseudo labels on val are scored against val's ground truth
(class-agnostic, and class-specific for ``casp-cs``): the
pseudo-vs-ground-truth gap. Results: ``<work-dir>/benchmark.{md,json,png}``
(mean ± std over seeds) and ``benchmark_runs.json`` (every number), copied
to ``--out`` when given.

Profiles: ``gpu`` (384 px, the configs' 256-channel FPN and heads,
labeler/warmup/finetune 10/3/10 epochs, PreDet 2) is the one for an H100:
about 9,550 training images per seed (:func:`training_images`). Our one
H100 measurement of this model, 3,600 training images in 154 s at 512 px
with evaluation (23 images/s), puts a seed at 6.9 minutes at 512 px; 384
px has 56 % of the pixels, other stages add evaluations and start-ups, so
we expect 5-7 minutes per seed, about 20 for 3 seeds (an estimate, not yet
run as a whole; one seed fits in one 10-minute device call). ``cpu`` is
the one for 2 CPU cores: 160 px, 64-channel FPN and heads, batch 4, the
backbone's BatchNorm statistics frozen (``norm_eval``, mmdet's convention
for small batches), its stem and stride-2 and -4 stages frozen
(``frozen_stages=3``, as mmdet's ResNet detectors freeze the stem and
res2: 12 % less time per iteration on 2 cores, and the baseline's AP50
up on every seed, chosen on val),
labeler/warmup/finetune 20/3/20 epochs, PreDet 2 (docs/benchmarks.md has
every trade, the measured time per seed against the 25 / 60 minute
targets for baseline + CaSP / all five methods). ``cpu_smoke``
(192 px, 3/1/3 epochs) only shows that every method runs end to end: its
models do not train.

Without ``--combine``, results are rewritten after every (method, seed)
run, so a killed benchmark keeps what finished; ``--combine`` merges the
``benchmark_runs.json`` of separate invocations (one per seed on a GPU
machine whose calls are time-limited) into one table and plot.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import statistics
import sys
import time

from mmengine.config import Config

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.dirname(HERE))

import mmcasp  # noqa: F401
from mmcasp.evaluation import (curve_flattening, epoch_loss_curve,
                               paired_difference)
from mmcasp.pipeline import (CaspPipeline, apply_cfg_options, prepare_casp,
                             resolve_config, write_table)
from mmcasp.pipeline.stage_configs import is_self_supervised
from mmcasp.utils import description, dump_json_atomic, load_config

#: Each method is a pipeline config; ``baseline`` is the baseline stage of
#: CaSP's (every method of a seed shares it).
METHOD_CONFIGS = {
    'baseline': 'configs/casp/casp_effl0_fpn_10-3-10e_coco-mini.py',
    'casp': 'configs/casp/casp_effl0_fpn_10-3-10e_coco-mini.py',
    'casp-cs': 'configs/casp/casp-cs_effl0_fpn_10-3-10e_coco-mini.py',
    'dap': 'configs/casp/dap-ca_effl0_fpn_3-10e_coco-mini.py',
    'predet': 'configs/casp/predet_effl0_fpn_2-10e_coco-mini.py',
    'casp-r2': 'configs/casp/casp-r2_effl0_fpn_10-3-10e_coco-mini.py',
    'predet-labels': 'configs/casp/predet-labels_effl0_fpn_2-10e_coco-mini.py',
}
#: Methods that need image-level labels of the unlabeled images
#: (``--image-labels``); run by default only when they are given.
NEEDS_IMAGE_LABELS = ('predet-labels', )
#: Stages a method takes from another method of the same seed (the same
#: settings, so the same results): the self-training run continues CaSP's.
SHARED_STAGES = {'casp-r2': ('casp', ('labeler', 'pseudo', 'warmup'))}
METHODS = tuple(METHOD_CONFIGS)
PROFILES = dict(
    gpu=dict(
        size=384,
        width=None,
        batch=8,
        workers=8,
        norm_eval=False,
        frozen_stages=None,
        epochs=dict(labeler=10, warmup=3, finetune=10, predet=2),
        cam_scales=[288, 576],
        predet_size=224),
    cpu=dict(
        size=160,
        width=64,
        batch=4,
        workers=2,
        norm_eval=True,
        frozen_stages=3,
        epochs=dict(labeler=20, warmup=3, finetune=20, predet=2),
        cam_scales=[192],
        predet_size=128),
    cpu_smoke=dict(
        size=192,
        width=64,
        batch=4,
        workers=2,
        norm_eval=False,
        frozen_stages=None,
        epochs=dict(labeler=3, warmup=1, finetune=3, predet=1),
        cam_scales=[192],
        predet_size=128))


def training_images(profile: dict,
                    labeled: int = 100,
                    unlabeled: int = 323) -> dict:
    """Images each method trains on per seed (epochs x split size; PreDet
    counts an image once although it makes two views), to size a profile
    against a time budget. ``casp-cs``'s labeler is the baseline's model
    (the same config, and the same epochs in every profile:
    :func:`~mmcasp.pipeline.labeler_is_baseline`), trained once per seed."""
    ep = profile['epochs']
    finetune = ep['finetune'] * labeled
    pseudo_start = ep['warmup'] * unlabeled + finetune
    return {
        'baseline': finetune,
        'casp': ep['labeler'] * labeled + pseudo_start,
        'casp-cs': pseudo_start,
        'dap': ep['warmup'] * unlabeled + finetune,
        'predet': ep['predet'] * unlabeled + finetune,
        # round 1 is casp's (shared)
        'casp-r2': ep['warmup'] * unlabeled + finetune,
    }


def rescale_pipeline(pipeline: list, factor: float) -> None:
    """Multiply the ``scale``/``scales`` of resize transforms by ``factor``
    (in place)."""
    for t in pipeline:
        if 'scale' in t and isinstance(t['scale'], (tuple, list)):
            t['scale'] = tuple(int(round(s * factor)) for s in t['scale'])
        if 'scales' in t:
            t['scales'] = [
                tuple(int(round(s * factor)) for s in sc) for sc in t['scales']
            ]


def scaled_config(src: str, dst: str, profile: dict) -> str:
    """Write ``src`` adapted to a profile (input size, widths, batch) to
    ``dst``: the stage configs the pipelines run."""
    cfg = Config.fromfile(src)
    factor = profile['size'] / 512.
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is None:
            continue
        cfg[loader].batch_size = profile['batch']
        cfg[loader].num_workers = profile['workers']
        cfg[loader].persistent_workers = profile['workers'] > 0
        rescale_pipeline(cfg[loader].dataset.pipeline, factor)
    m = cfg.model
    if 'backbone' in m:
        m.backbone.norm_eval = profile['norm_eval']
        if profile['frozen_stages'] is not None:
            # counted in the backbone's own layers: every COCO-mini stage
            # config has mmdet's EfficientNet(-Lite0), whose first 3 are
            # the stem and the stride-2 and stride-4 stages
            m.backbone.frozen_stages = profile['frozen_stages']
    if m.type == 'PreDet':
        for t in cfg.train_dataloader.dataset.pipeline:
            if t['type'] == 'TwoViews':
                t['out_size'] = (profile['predet_size'], ) * 2
    elif profile['width']:
        w = profile['width']
        m.neck.out_channels = w
        m.bbox_head.update(in_channels=w, feat_channels=w, stacked_convs=2)
        if 'mask_head' in m:
            m.mask_head.mask_feature_head.update(
                in_channels=w, feat_channels=w // 2, num_stacked_convs=2)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    os.makedirs(osp.dirname(dst), exist_ok=True)
    cfg.dump(dst)
    return dst


def method_casp(method: str,
                profile: dict,
                data_root: str,
                work: str,
                seed: int,
                image_labels: str = None) -> dict:
    """The pipeline settings of one method: its config under
    ``configs/casp/`` (:data:`METHOD_CONFIGS`) with every stage config
    scaled to the profile (written under ``<work>/configs``), the profile's
    epochs (a stage that pretrains on images alone, PreDet, takes
    ``epochs['predet']``), batch and workers, and ``seed``;
    ``image_labels``: the unlabeled images' image-level labels (a COCO
    file), for the methods that learn from them."""
    cfg = load_config(resolve_config(METHOD_CONFIGS[method]))
    ep = profile['epochs']
    options = {
        'seed': seed,
        'pseudo.batch_size': profile['batch'],
        'pseudo.num_workers': profile['workers']
    }
    for stage in ('labeler', 'warmup', 'finetune'):
        path = cfg.casp[stage].get('config')
        if path is None:
            continue  # a labeler that trains nothing
        src = resolve_config(path)
        options[f'{stage}.config'] = scaled_config(
            src, osp.join(work, 'configs', osp.basename(src)), profile)
        options[f'{stage}.epochs'] = ep['predet'] if is_self_supervised(
            load_config(src)) else ep[stage]
    if 'scales' in cfg.casp.labeler:  # a CAM labeler's input sizes
        options['labeler.scales'] = profile['cam_scales']
    if method in NEEDS_IMAGE_LABELS:
        if not image_labels:
            raise ValueError(f'{method} learns from image-level labels of the '
                             'unlabeled images: give --image-labels')
        options['data.unlabeled.image_labels'] = osp.abspath(image_labels)
    apply_cfg_options(cfg, options)
    return prepare_casp(cfg, work, data_root)


def pseudo_vs_gt(pipe: CaspPipeline, out_dir: str) -> dict:
    """Label val with the method's labeler (its settings as in the
    pipeline) and score the labels against val's ground truth."""
    from mmcasp.pseudo_labels import evaluate_pseudo_labels
    if not pipe.labeler.makes_labels or pipe.records.get('labeler') is None:
        return {}
    # the labels of the last round's labeler (self-training: the warmed-up
    # model of the round before)
    rounds = pipe.settings.rounds
    out = osp.join(out_dir, 'val_pseudo_labels.json')
    if not osp.isfile(out):
        pipe.label('val', out, rounds, drop_empty=False, show_progress=False)
    pseudo = json.load(open(out))
    gt = json.load(open(pipe.settings.data.val.ann))
    res = {
        'agnostic':
        evaluate_pseudo_labels(
            pseudo, gt, class_agnostic=True, iou_types=('bbox', ))
    }
    if pipe.settings.pseudo.class_specific:
        res['specific'] = evaluate_pseudo_labels(
            pseudo, gt, class_agnostic=False, iou_types=('bbox', ))
    return res


def untrained_stages(pipe: CaspPipeline, stages=None) -> list:
    """The stages of ``stages`` (default all) that ``pipe.run`` would run
    now (:meth:`~mmcasp.pipeline.CaspPipeline.to_run`), but ``evaluate``,
    which only scores; a run with any is skipped by ``--score-only``."""
    return [s for s in pipe.to_run(stages) if s != 'evaluate']


TRAINED_STAGES = ('labeler', 'warmup', 'finetune', 'baseline')
#: Epochs over which the table says how much the scored model's loss
#: still changed at the end (:func:`curve_flattening`).
LOSS_WINDOW = 5


def loss_curves(pipe: CaspPipeline) -> dict:
    """``{stage: {epoch: mean logged loss}}`` of the stages a run trained
    (read from their mmengine logs), to show whether they converged."""
    curves = {}
    for stage in TRAINED_STAGES:
        curve = epoch_loss_curve(pipe.records.dir(stage))
        if curve:
            curves[stage] = curve
    return curves


def scored_stage(method: str) -> str:
    """The stage whose model a method's row scores: the baseline's own,
    every other method's finetuned model."""
    return 'baseline' if method == 'baseline' else 'finetune'


def scored_curve(run: dict, method: str) -> dict:
    """The loss curve of the model a row scores (:func:`scored_stage`),
    epochs as ints (JSON stores them as strings)."""
    curve = (run.get('loss') or {}).get(scored_stage(method)) or {}
    return {int(e): v for e, v in curve.items()}


def _mean_std(values):
    """``'mean ± std'`` over the seeds that have a value; when some seeds
    have none (mmdet's CocoMetric returns no metrics for a model that kept
    no detection), says over how many."""
    have = [v for v in values if v is not None]
    if not have:
        return None
    text = f'{have[0]:.3f}' if len(have) == 1 else \
        f'{statistics.mean(have):.3f} ± {statistics.stdev(have):.3f}'
    if len(have) < len(values):
        text += f' ({len(have)} of {len(values)} seeds)'
    return text


def stage_metric(run: dict, stage: str, key: str):
    """One metric of one stage of a (method, seed) run, or ``None``."""
    return ((run['stages'].get(stage) or {}).get('metrics') or {}).get(key)


def stage_seconds(run: dict, method: str) -> float:
    """Seconds the stages of one (method, seed) run took, summed from their
    records (so a re-run that skips finished stages still reports them):
    every stage of the method's pipeline, self-training rounds included
    (a stage shared with another method, as ``casp-r2``'s round 1, counts
    in both); the baseline, trained once per seed, counts only in its own
    row."""
    own = ('baseline', 'evaluate') if method == 'baseline' else [
        s for s in run['stages'] if s != 'baseline'
    ]
    return round(
        sum((run['stages'].get(s) or {}).get('wall_s') or 0 for s in own), 1)


def aggregate(per_run: dict, methods, seeds) -> list:
    """One row per method: mean ± std over seeds."""
    rows = []
    for method in methods:
        runs = [per_run.get((method, s)) for s in seeds]
        runs = [r for r in runs if r]
        if not runs:
            continue
        stage = scored_stage(method)

        def m(stage_, key, runs=runs):
            return [stage_metric(r, stage_, key) for r in runs]

        row = dict(method=method, seeds=len(runs))
        row['AP^det'] = _mean_std(m(stage, 'coco/bbox_mAP'))
        row['AP^seg'] = _mean_std(m(stage, 'coco/segm_mAP'))
        row['AP50^det'] = _mean_std(m(stage, 'coco/bbox_mAP_50'))
        # the finetuned 80-class model scored class-agnostically: finds
        # objects at all, whatever their class
        row['AP^det-a'] = _mean_std(m(stage, 'agnostic/bbox_mAP'))
        # the same columns in every row (the baseline has no labeler)
        row.update({
            k: None
            for k in ('labeler AP^det-a', 'warmup AP^det-a',
                      'pseudo labels/img', 'val pseudo AP (agnostic)',
                      'val pseudo AP (specific)', 'val pseudo precision@0.5',
                      'val pseudo recall@0.5')
        })
        if method != 'baseline':
            row['labeler AP^det-a'] = _mean_std(
                m('labeler', 'agnostic/bbox_mAP'))
            row['warmup AP^det-a'] = _mean_std(
                m('warmup', 'agnostic/bbox_mAP'))
            row['pseudo labels/img'] = _mean_std([
                ((r['stages'].get('pseudo') or {}).get('stats')
                 or {}).get('labels_per_image_mean') for r in runs
            ])
            row['val pseudo AP (agnostic)'] = _mean_std(
                [r['gap'].get('agnostic', {}).get('bbox_AP') for r in runs])
            row['val pseudo AP (specific)'] = _mean_std(
                [r['gap'].get('specific', {}).get('bbox_AP') for r in runs])
            # how many of the kept labels are right (class-agnostic, IoU
            # 0.5), and how many objects they find
            for k in ('precision@0.5', 'recall@0.5'):
                row[f'val pseudo {k}'] = _mean_std(
                    [r['gap'].get('agnostic', {}).get(k) for r in runs])
        for name in sorted({n for r in runs for n in r['extra']}):
            row[f'{name} AP^det'] = _mean_std([
                r['extra'].get(name, {}).get(stage, {}).get('coco/bbox_mAP')
                for r in runs
            ])
        # has the scored model's loss flattened? relative change over its
        # last LOSS_WINDOW epochs (about 0: flat; clearly negative: still
        # falling)
        curves = [scored_curve(r, method) for r in runs]
        row['final loss'] = _mean_std(
            [c[max(c)] if c else None for c in curves])
        row[f'loss change, last {LOSS_WINDOW} ep'] = _mean_std(
            [curve_flattening(c, LOSS_WINDOW) for c in curves])
        row['wall_s (mean)'] = int(
            round(statistics.mean(stage_seconds(r, method) for r in runs)))
        rows.append(row)
    return rows


#: metrics of the paired comparison: (column, metric key)
PAIRED_METRICS = (('AP^det', 'coco/bbox_mAP'),
                  ('AP50^det', 'coco/bbox_mAP_50'), ('AP^det-a',
                                                     'agnostic/bbox_mAP'))


def paired_rows(per_run: dict, methods, seeds) -> list:
    """One row per (method, metric): the per-seed difference of the
    method's finetuned model to the baseline of the same seed, its mean ±
    std, 95 % t-interval and whether that interval excludes 0
    (:func:`~mmcasp.evaluation.paired_difference`)."""
    rows = []
    for method in methods:
        if method == 'baseline':
            continue
        for column, key in PAIRED_METRICS:
            pairs = [(per_run.get((method, s)), per_run.get(('baseline', s)))
                     for s in seeds]
            pairs = [(m, b) for m, b in pairs if m and b]
            res = paired_difference(
                [stage_metric(m, 'finetune', key) for m, _ in pairs],
                [stage_metric(b, 'baseline', key) for _, b in pairs])
            if res is None:
                continue
            rows.append({
                'method':
                method,
                'metric':
                column,
                'seeds':
                res['n'],
                'difference (mean ± std)':
                f"{res['mean']:+.4f}" if res['std'] is None else
                f"{res['mean']:+.4f} ± {res['std']:.4f}",
                '95 % interval':
                None if res['ci'] is None else
                f"[{res['ci'][0]:+.4f}, {res['ci'][1]:+.4f}]",
                'beyond seed noise':
                'yes' if res['distinguishable'] else 'no',
                'per seed':
                ' '.join(f'{d:+.4f}' for d in res['diffs']),
            })
    return rows


def save_runs(path: str,
              profile: str,
              seeds,
              per_run: dict,
              rows: list,
              paired: list = ()) -> None:
    """Every number of the runs so far (rewritten after each run, so a
    killed benchmark keeps what finished)."""
    raw = {f'{m}/seed{s}': v for (m, s), v in per_run.items()}
    dump_json_atomic(
        json.loads(
            json.dumps(
                dict(
                    profile=profile,
                    settings=PROFILES[profile],
                    seeds=list(seeds),
                    rows=rows,
                    paired=list(paired),
                    runs=raw),
                default=str)), path)


def load_runs(paths) -> tuple:
    """Merge the runs of several ``benchmark_runs.json`` files (e.g. one
    per seed, from separate GPU sessions) -> ``(profile, per_run)``.

    Raises:
        ValueError: the files come from different profiles.
    """
    profile, settings, per_run = None, None, {}
    for path in paths:
        with open(path) as f:
            saved = json.load(f)
        if profile not in (None, saved['profile']):
            raise ValueError(f'{path} is a {saved["profile"]!r} run, '
                             f'the others are {profile!r}: not comparable')
        if settings not in (None, saved.get('settings')):
            # the same name, other settings (a profile changed since)
            raise ValueError(f'{path} ran the {profile!r} profile with other '
                             f'settings ({saved.get("settings")} vs '
                             f'{settings}): not comparable')
        profile, settings = saved['profile'], saved.get('settings')
        for key, run in saved['runs'].items():
            method, seed = key.rsplit('/seed', 1)
            per_run[(method, int(seed))] = run
    return profile, per_run


def plot_benchmark(per_run: dict, methods, seeds, path: str) -> None:
    """Left: class-specific AP on val per method (bar: mean over seeds,
    line: ± std, dots: seeds). Middle: class-agnostic AP^det of the
    labeler, the warmed-up model and the finetuned model. Right: the
    training loss per epoch of the scored models (baseline, finetuned)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    methods = [m for m in methods if any((m, s) in per_run for s in seeds)]

    def values(method, stage, key):
        vals = [
            stage_metric(per_run[(method, s)], stage, key) for s in seeds
            if (method, s) in per_run
        ]
        return [v for v in vals if v is not None]

    panels = (
        ('class-specific AP on val', [('AP^det', None, 'coco/bbox_mAP'),
                                      ('AP^seg', None, 'coco/segm_mAP')]),
        ('class-agnostic AP^det on val',
         [('labeler', 'labeler', 'agnostic/bbox_mAP'),
          ('warmed up', 'warmup', 'agnostic/bbox_mAP'),
          ('finetuned', None, 'agnostic/bbox_mAP')]),
    )
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.5))
    for ax, (title, series) in zip(axes, panels):
        width = 0.8 / len(series)
        labelled = set()
        for i, (label, stage, key) in enumerate(series):
            for j, method in enumerate(methods):
                st = stage or scored_stage(method)
                vals = values(method, st, key)
                if not vals:
                    continue
                x = j + (i - (len(series) - 1) / 2) * width
                mean = statistics.mean(vals)
                std = statistics.stdev(vals) if len(vals) > 1 else 0.
                ax.bar(
                    x,
                    mean,
                    width,
                    yerr=std,
                    capsize=3,
                    color=f'C{i}',
                    label=None if label in labelled else label)
                labelled.add(label)
                ax.plot([x] * len(vals), vals, 'k.', markersize=4)
        ax.set_xticks(range(len(methods)))
        ax.set_xticklabels(methods)
        ax.set_title(title)
        # AP is never negative; an all-zero panel still gets a readable axis
        ax.set_ylim(0, max(ax.get_ylim()[1], 0.01))
        ax.legend(fontsize=8)
    axes[0].set_ylabel('AP (mean ± std over the seeds a method ran, '
                       'dots: seeds)')
    ax = axes[2]
    for j, method in enumerate(methods):
        for k, seed in enumerate(s for s in seeds if (method, s) in per_run):
            curve = scored_curve(per_run[(method, seed)], method)
            if curve:
                epochs = sorted(curve)
                ax.plot(
                    epochs, [curve[e] for e in epochs],
                    color=f'C{j}',
                    linewidth=1,
                    label=method if k == 0 else None)
    ax.set_title('training loss of the scored model (one line per seed)')
    ax.set_xlabel('epoch')
    ax.set_ylabel('mean logged loss')
    if ax.has_data():
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument('--data-root', default='../shared/data/coco-mini')
    p.add_argument('--work-dir', default='work_dirs/bench_coco_mini')
    p.add_argument('--profile', choices=sorted(PROFILES), default='gpu')
    p.add_argument(
        '--methods',
        nargs='+',
        choices=METHODS,
        help='default: every method (those needing image labels only with '
        '--image-labels)')
    p.add_argument(
        '--image-labels',
        metavar='ANN',
        help='image-level labels of the unlabeled images (a COCO file, '
        'matched by file name; boxes are not read): enables predet-labels')
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument(
        '--eval-set',
        nargs=3,
        action='append',
        default=[],
        metavar=('NAME', 'ANN', 'IMG_DIR'),
        help='another COCO-format evaluation set (repeatable)')
    p.add_argument(
        '--score-only',
        action='store_true',
        help='train nothing: score the saved checkpoints of the (method, '
        'seed) runs whose training stages are all done (on val and every '
        '--eval-set); the others are skipped with a note')
    p.add_argument(
        '--combine',
        nargs='+',
        metavar='RUNS_JSON',
        help='train nothing: merge these benchmark_runs.json files (e.g. '
        'one per seed from separate GPU sessions) into one table and plot')
    p.add_argument(
        '--out', help='copy benchmark.md/json/png here (a path stem)')
    return p.parse_args(argv)


def write_results(per_run: dict,
                  profile: str,
                  methods,
                  seeds,
                  work: str,
                  out: str = None) -> dict:
    """Table (``benchmark.{md,csv,json}``), every number
    (``benchmark_runs.json``) and plot (``benchmark.png``) under ``work``;
    copied to ``<out>.md/.json/.png`` when ``out`` is given."""
    rows = aggregate(per_run, methods, seeds)
    paths = write_table(rows, work, 'benchmark')
    paired = paired_rows(per_run, methods, seeds)
    if paired:
        paths['paired'] = write_table(paired, work, 'paired')['md']
    paths['runs'] = osp.join(work, 'benchmark_runs.json')
    save_runs(paths['runs'], profile, seeds, per_run, rows, paired)
    paths['png'] = osp.join(work, 'benchmark.png')
    plot_benchmark(per_run, methods, seeds, paths['png'])
    if out:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        for key, ext in (('md', '.md'), ('runs', '.json'), ('png', '.png'),
                         ('paired', '_paired.md')):
            if key in paths:
                shutil.copy(paths[key], out + ext)
    return paths


def main(argv=None):
    args = parse_args(argv)
    if args.methods is None:
        args.methods = [
            m for m in METHODS
            if m not in NEEDS_IMAGE_LABELS or args.image_labels
        ]
    work = osp.abspath(args.work_dir)
    if args.combine:
        profile, per_run = load_runs(args.combine)
        methods = [m for m in METHODS if any(k[0] == m for k in per_run)]
        seeds = sorted({k[1] for k in per_run})
        paths = write_results(per_run, profile, methods, seeds, work, args.out)
        print(open(paths['md']).read())
        return
    root = osp.abspath(args.data_root)
    for name in ('labeled', 'unlabeled', 'val'):
        path = osp.join(root, 'annotations', f'{name}.json')
        if not osp.exists(path):
            sys.exit(f'error: {path} does not exist (--data-root)')
    profile = PROFILES[args.profile]
    evals = [
        dict(name=n, ann=osp.abspath(a), img=osp.abspath(i))
        for n, a, i in args.eval_set
    ]
    per_run = {}
    for seed in args.seeds:
        base_dir = osp.join(work, f'seed{seed}', 'baseline')
        for method in args.methods:
            t0 = time.time()
            casp = method_casp(method, profile, root, work, seed,
                               args.image_labels)
            run_dir = osp.join(work, f'seed{seed}', method)
            stage_dirs = dict(baseline=base_dir)
            if method in SHARED_STAGES:
                other, stages = SHARED_STAGES[method]
                stage_dirs.update({
                    st: osp.join(work, f'seed{seed}', other, st)
                    for st in stages
                })
            pipe = CaspPipeline(
                casp,
                run_dir,
                evals,
                name=f'{method}_s{seed}',
                stage_dirs=stage_dirs)
            stages = ['baseline', 'evaluate'] if method == 'baseline' \
                else None
            missing = untrained_stages(pipe, stages) \
                if args.score_only else []
            if missing:
                print(f'[coco_mini] {method} seed {seed}: skipped, not '
                      f'trained ({", ".join(missing)} missing; --score-only '
                      'trains nothing)')
                continue
            out = pipe.run(stages)
            gap = pseudo_vs_gt(pipe, run_dir) if method != 'baseline' \
                else {}
            per_run[(method, seed)] = dict(
                stages=out,
                extra=(out.get('evaluate') or {}).get('extra', {}),
                gap=gap,
                loss=loss_curves(pipe),
                wall_s=round(time.time() - t0, 1))
            # after every run: a killed benchmark keeps what finished
            paths = write_results(per_run, args.profile, args.methods,
                                  args.seeds, work, args.out)
    if not per_run:
        sys.exit(f'error: no finished run of {args.methods} with seeds '
                 f'{args.seeds} under {work} to score (--score-only)')
    print(open(paths['md']).read())


if __name__ == '__main__':
    main()
