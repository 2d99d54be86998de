# Copyright (c) mmcasp contributors. All rights reserved.
"""Seed noise on the toy pipeline: the paired comparison of a method with
its baseline over several seeds, on the generated toy data (cheap).

    python benchmarks/toy_seeds.py [--config CONFIG] --seeds 0 1 2 3 4 \\
        [--work-dir work_dirs/bench_toy_seeds]

One toy dataset (the config's ``toy`` settings) is generated once and
shared; each seed runs the whole pipeline of ``--config`` (default the CPU
demo, CaSP) with ``casp.seed`` set, under ``<work-dir>/seed<S>/`` (every
stage keeps its checkpoint). The training seed is what varies: data
order, initialisation, augmentation. Results: ``<work-dir>/toy_seeds.md``
(mean ± std per method over seeds) and ``toy_seeds_paired.md`` (per-seed
differences to the baseline of the same seed, their mean ± std, 95 %
t-interval and whether it excludes 0), with every number in
``toy_seeds_runs.json``, and the plot ``toy_seeds.png`` (AP per method
with the seeds as dots, class-agnostic AP of labeler, warmed-up and
finetuned models, loss curves); ``--out STEM`` copies them to
``STEM.md``, ``STEM_paired.md``, ``STEM.json`` and ``STEM.png``.
Re-running skips finished seeds' stages.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.dirname(HERE))
sys.path.insert(0, HERE)

from coco_mini import aggregate, loss_curves, paired_rows, plot_benchmark

import mmcasp  # noqa: F401
from mmcasp.pipeline import (CaspPipeline, apply_cfg_options, prepare_casp,
                             resolve_config, write_table)
from mmcasp.utils import description, dump_json_atomic, load_config

DEFAULT = 'configs/casp/casp_r18w16_fpn_toy-demo_toy.py'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument('--config', default=DEFAULT)
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2, 3, 4])
    p.add_argument('--work-dir', default='work_dirs/bench_toy_seeds')
    p.add_argument(
        '--out', help='copy the tables, runs and plot here (a path stem)')
    return p.parse_args(argv)


def seed_runs(out: dict, loss: dict, method: str) -> dict:
    """The benchmark rows of one seed's pipeline run (``out``: its stage
    records, ``loss``: its loss curves per stage): the baseline's row holds
    the baseline stage only (the evaluate stage is the pipeline's, counted
    in the method's row), the method's row every stage."""
    return {
        'baseline':
        dict(
            stages=dict(baseline=out['baseline']),
            extra={},
            gap={},
            loss={
                s: c
                for s, c in loss.items() if s == 'baseline'
            }),
        method:
        dict(stages=out, extra={}, gap={}, loss=loss)
    }


def main(argv=None):
    args = parse_args(argv)
    work = osp.abspath(args.work_dir)
    per_run, method = {}, None
    for seed in args.seeds:
        cfg = load_config(resolve_config(args.config))
        apply_cfg_options(cfg, {'seed': seed})
        # the toy data of the config, generated once for every seed
        casp = prepare_casp(cfg, work)
        pipe = CaspPipeline(
            casp, osp.join(work, f'seed{seed}'), name=f'toy_s{seed}')
        method = pipe.settings.method or pipe.labeler.method
        runs = seed_runs(pipe.run(), loss_curves(pipe), method)
        per_run.update({(m, seed): run for m, run in runs.items()})
        methods = ['baseline', method]
        rows = aggregate(per_run, methods, args.seeds)
        paired = paired_rows(per_run, methods, args.seeds)
        write_table(rows, work, 'toy_seeds')
        if paired:
            write_table(paired, work, 'toy_seeds_paired')
        dump_json_atomic(
            json.loads(
                json.dumps(
                    dict(
                        config=args.config,
                        seeds=args.seeds,
                        rows=rows,
                        paired=paired,
                        runs={
                            f'{m}/seed{s}':
                            dict(stages=v['stages'], loss=v['loss'])
                            for (m, s), v in per_run.items() if m == method
                        }),
                    default=str)), osp.join(work, 'toy_seeds_runs.json'))
        plot_benchmark(per_run, methods, args.seeds,
                       osp.join(work, 'toy_seeds.png'))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        for name, ext in (('toy_seeds.md', '.md'), ('toy_seeds_paired.md',
                                                    '_paired.md'),
                          ('toy_seeds_runs.json', '.json'), ('toy_seeds.png',
                                                             '.png')):
            if osp.isfile(osp.join(work, name)):
                shutil.copy(osp.join(work, name), args.out + ext)
    print(open(osp.join(work, 'toy_seeds.md')).read())
    if osp.isfile(osp.join(work, 'toy_seeds_paired.md')):
        print(open(osp.join(work, 'toy_seeds_paired.md')).read())


if __name__ == '__main__':
    main()
