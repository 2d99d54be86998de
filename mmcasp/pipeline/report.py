# Copyright (c) mmcasp contributors. All rights reserved.
"""The pipeline's results table (Markdown, CSV, JSON) and plot (PNG)."""
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Optional

from .stage_graph import StageId

__all__ = ['results_rows', 'write_report', 'write_table', 'plot_sweep']

COLUMNS = [
    ('AP^det', 'coco/bbox_mAP'),
    ('AP^seg', 'coco/segm_mAP'),
    ('AP^det-a', 'agnostic/bbox_mAP'),
    ('AP^seg-a', 'agnostic/segm_mAP'),
    # CaSP Table 11's AP^e: entity *segmentation* AP (things + stuff as
    # one class); its box counterpart beside it
    ('AP^e', 'entity/segm_mAP'),
    ('AP^e-box', 'entity/bbox_mAP'),
    ('PQ', 'coco_panoptic/PQ'),
    ('SQ', 'coco_panoptic/SQ'),
    ('RQ', 'coco_panoptic/RQ'),
]
#: columns that appear only when some stage has them (panoptic targets)
#: (entity metrics: labeler and warmup of ``pretrain_on='entities'``)
OPTIONAL = ('AP^e', 'AP^e-box', 'PQ', 'SQ', 'RQ')


def _metric_cells(metrics: dict) -> dict:
    cells = {}
    for name, key in COLUMNS:
        if name not in OPTIONAL or key in metrics:
            cells[name] = metrics.get(key)
    return cells


def _fmt(v) -> str:
    return '' if v is None else (
        f'{v:.3f}' if isinstance(v, float) else str(v))


def results_rows(results: Dict[str, Optional[dict]],
                 extra: Dict[str, dict],
                 method: Optional[str] = None) -> List[dict]:
    """One row per stage (and per extra evaluation set).

    ``method`` names the finetuned model's row (default the labeler's
    record's: ``CaSP``, ``DAP`` for a CAM labeler, ``pretrain`` without
    pseudo labels). Self-training rounds after the first have their own
    pseudo-label and warmup rows.
    """
    rows = []
    labeler = results.get('labeler') or {}
    # records written before labelers described themselves
    method = method or labeler.get('method', 'CaSP')
    # what the baseline starts from (DAP's: the labeler's classifier)
    init = (results.get('baseline') or {}).get('init', 'plain init')
    names = {
        'labeler': labeler.get('description', 'labeler'),
        'baseline': f'baseline ({init})',
        'finetune': f'{method} (warmup -> finetune)'
    }
    kinds = {s: StageId.parse(s).kind for s in results}
    pseudo_recs = {s: r for s, r in results.items() if kinds[s] == 'pseudo'}
    for stage, rec in results.items():
        if kinds[stage] == 'warmup' and rec is not None:
            names[stage] = _warmup_name(stage, pseudo_recs)
    order = ['labeler'] + [s for s in results if kinds[s] == 'warmup'
                           ] + ['baseline', 'finetune']
    for stage in order:
        rec = results.get(stage)
        if rec is None or names.get(stage) is None:
            continue
        m = rec.get('metrics', {})
        row = dict(
            method=names[stage],
            stage=stage,
            eval_set='val' if m else '',
            wall_s=rec.get('wall_s'))
        row.update(_metric_cells(m))
        rows.append(row)
    for stage, pseudo in pseudo_recs.items():
        if pseudo is None or 'stats' not in pseudo:
            continue
        st = pseudo['stats']
        rows.append(
            dict(
                method='pseudo labels' + _round_suffix(stage),
                stage=stage,
                eval_set='unlabeled',
                wall_s=pseudo.get('wall_s'),
                images_kept=st['images_kept'],
                images_in=st['images_in'],
                labels=st['labels'],
                labels_per_image=round(st['labels_per_image_mean'], 2)))
    for set_name, by_stage in extra.items():
        for stage, m in by_stage.items():
            row = dict(method=names[stage], stage=stage, eval_set=set_name)
            row.update(_metric_cells(m))
            rows.append(row)
    return rows


def _round_suffix(stage: str) -> str:
    """``' (round 2)'`` for ``warmup_round2``; empty for round 1."""
    r = StageId.parse(stage).round
    return f' (round {r})' if r > 1 else ''


def _warmup_name(stage: str, pseudo_recs: dict) -> str:
    """A warmup's row name, from the pseudo labels it trained on."""
    pseudo = pseudo_recs.get(
        StageId('pseudo',
                StageId.parse(stage).round).name) or {}
    if pseudo and 'file' not in pseudo:
        what = 'pretraining without pseudo labels'
    elif pseudo.get('class_specific'):
        what = 'warmup on pseudo labels (class-specific)'
    else:
        what = 'warmup on pseudo labels (class-agnostic)'
    return what + _round_suffix(stage)


def write_table(rows: List[dict], out_dir: str, stem: str) -> Dict[str, str]:
    """``rows`` as ``<stem>.md``, ``.csv`` and ``.json`` under ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    keys = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    paths = {
        ext: osp.join(out_dir, f'{stem}.{ext}')
        for ext in ('md', 'csv', 'json')
    }
    with open(paths['json'], 'w') as f:
        json.dump(rows, f, indent=1)
    with open(paths['csv'], 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    lines = ['| ' + ' | '.join(keys) + ' |', '|' + '---|' * len(keys)]
    lines += [
        '| ' + ' | '.join(_fmt(r.get(k)) for k in keys) + ' |' for r in rows
    ]
    with open(paths['md'], 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return paths


def write_report(results: Dict[str, Optional[dict]],
                 extra: Dict[str, dict],
                 out_dir: str,
                 method: Optional[str] = None) -> Dict[str, str]:
    """Write ``results.{md,csv,json,png}`` under ``out_dir``; the JSON also
    holds every stage's record."""
    rows = results_rows(results, extra, method)
    paths = write_table(rows, out_dir, 'results')
    with open(paths['json'], 'w') as f:
        json.dump(dict(rows=rows, stages=results, extra=extra), f, indent=1)
    paths['png'] = osp.join(out_dir, 'results.png')
    _plot(rows, paths['png'])
    return paths


def plot_sweep(rows: List[dict], path: str) -> None:
    """AP^det of CaSP and baseline per sweep run."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(rows)), 4))
    xs = range(len(rows))
    for off, label in ((-0.2, 'CaSP'), (0.2, 'baseline')):
        vals = [r.get(f'{label} AP^det') for r in rows]
        ax.bar([x + off for x in xs],
               [float('nan') if v is None else v for v in vals],
               0.4,
               label=label)
    params = [
        k for k in rows[0]
        if k not in ('run', 'pseudo labels/image') and 'AP^' not in k
    ] if rows else []
    ax.set_xticks(list(xs))
    ax.set_xticklabels(
        ['\n'.join(f'{k}={r[k]}' for k in params) for r in rows], fontsize=7)
    ax.set_ylabel('AP^det on val')
    ax.set_title('sweep: CaSP vs baseline')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot(rows: List[dict], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    shown = [
        r for r in rows if r.get('eval_set') == 'val' and any(
            r.get(c) is not None for c, _ in COLUMNS)
    ]
    # metrics no stage has (PQ without a panoptic target) get no group
    cols = [c for c, _ in COLUMNS if any(r.get(c) is not None for r in shown)
            ] or [c for c, _ in COLUMNS[:4]]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(len(shown), 1)
    for i, r in enumerate(shown):
        vals = [r.get(c) for c in cols]
        xs = [j + i * width for j in range(len(cols))]
        # metrics a stage does not have (class-specific AP of a
        # class-agnostic model) are left out, not drawn as 0
        bars = ax.bar(
            xs, [float('nan') if v is None else v for v in vals],
            width,
            label=r['method'])
        ax.bar_label(
            bars, ['' if v is None else f'{v:.3f}' for v in vals], fontsize=7)
    ax.set_xticks([j + width * (len(shown) - 1) / 2 for j in range(len(cols))])
    ax.set_xticklabels(cols)
    ax.set_ylabel('AP on val')
    ax.set_title('CaSP pipeline: class-specific and class-agnostic AP')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
