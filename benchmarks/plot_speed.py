# Copyright (c) mmcasp contributors. All rights reserved.
"""Plots of the speed benchmarks' JSON results.

    python benchmarks/plot_speed.py \\
        --pseudo docs/bench_results/pseudo_speed_h100.json \\
        [--pseudo more.json ...] --out docs/bench_results/pseudo_speed.png

One panel per ``benchmarks/pseudo_label_speed.py`` result: images/s of
mmcasp's pseudo-labeling loop per batch size and precision next to mmdet's
stock test loop, and where the loop's time goes (network forward vs
post-processing; the rest is decoding, host copies and writing).
"""
import argparse
import json
from typing import List


def _precision(run: dict) -> str:
    """fp32, fp16 or bf16 (results before bf16 have only ``fp16``)."""
    return run.get('precision', 'fp16' if run['fp16'] else 'fp32')


def plot_pseudo_speed(results: List[dict], path: str) -> None:
    """``results``: the JSON objects written by ``pseudo_label_speed.py``.
    Top: images/s; bottom: each mmcasp run's wall seconds split into
    network forward, post-processing and the rest."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(
        2,
        len(results),
        figsize=(6 * len(results), 7),
        squeeze=False,
        gridspec_kw=dict(height_ratios=(3, 2)))
    for col, res in enumerate(results):
        top, bottom = axes[0][col], axes[1][col]
        runs = res['ours']
        names = [
            f"batch {r['batch_size']}\n{_precision(r)}" +
            ('' if r.get('batch_invariant', True) else '\noneDNN')
            for r in runs
        ]
        speed = [res['stock']['images_per_s']
                 ] + [r['images_per_s'] for r in runs]
        colors = ['0.6'] + [
            'C1' if _precision(r) != 'fp32' else
            'C0' if r.get('batch_invariant', True) else 'C4' for r in runs
        ]
        bars = top.bar(range(len(speed)), speed, color=colors)
        top.bar_label(bars, fmt='%.1f', fontsize=8)
        top.set_xticks(range(len(speed)))
        top.set_xticklabels(['mmdet stock\nbatch 1'] + names, fontsize=8)
        top.set_ylabel('images/s')
        top.set_title(
            f"{res['device']} ({res['cpu_threads']} CPU threads): "
            f"{res['images']} images "
            f"({res['num_workers']} decoding workers)",
            fontsize=10)
        xs = range(len(runs))
        fwd = [r['forward_s'] for r in runs]
        post = [r['postprocess_s'] for r in runs]
        rest = [
            max(r['wall_s'] - f - q, 0) for r, f, q in zip(runs, fwd, post)
        ]
        bottom.bar(xs, fwd, color='C2', label='network forward')
        bottom.bar(xs, post, bottom=fwd, color='C3', label='post-processing')
        bottom.bar(
            xs,
            rest,
            bottom=[f + q for f, q in zip(fwd, post)],
            color='0.8',
            label='decoding wait, host copies, writing')
        bottom.set_xticks(list(xs))
        bottom.set_xticklabels(names, fontsize=8)
        bottom.set_ylabel('mmcasp wall seconds')
        bottom.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        '--pseudo',
        action='append',
        required=True,
        help='a pseudo_label_speed.py JSON result (repeatable)')
    p.add_argument('--out', required=True, help='the PNG to write')
    args = p.parse_args(argv)
    results = []
    for path in args.pseudo:
        with open(path) as f:
            results.append(json.load(f))
    plot_pseudo_speed(results, args.out)
    print(args.out)


if __name__ == '__main__':
    main()
