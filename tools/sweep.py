# Copyright (c) mmcasp contributors. All rights reserved.
"""Run a grid of CaSP pipelines and aggregate one table and plot.

    python tools/sweep.py SWEEP_CONFIG [--work-dir DIR] [--data-root DIR]

``SWEEP_CONFIG`` names a pipeline config and a grid over its ``casp``
settings (dotted keys), e.g.::

    base = 'configs/casp/casp_r18w16_fpn_toy-demo_toy.py'
    grid = {
        'pseudo.delta': [0.2, 0.4],
        'warmup.epochs': [3, 6],
        'finetune.parts': [['backbone'], ['backbone', 'neck', 'head']],
    }

Runs share the stages whose settings they have in common (one labeler for
all deltas, ...) under ``<work-dir>/stages/``; each run's own evaluation
and report go to ``<work-dir>/runs/<run>/``; finished runs and stages are
skipped. The aggregate: ``<work-dir>/sweep.{md,csv,json,png}``.
"""
import argparse
import hashlib
import json
import os.path as osp
import sys

import mmcasp  # noqa: F401
from mmcasp.pipeline import (CaspPipeline, PipelineError, expand_grid,
                             plot_sweep, prepare_casp, resolve_config,
                             stage_keys, sweep_rows, write_table)
from mmcasp.utils import description, load_config, run_main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument('config', help='sweep config (base + grid)')
    p.add_argument('--work-dir')
    p.add_argument('--data-root')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sweep = load_config(args.config)
    work_dir = osp.abspath(
        args.work_dir or osp.join('work_dirs',
                                  osp.splitext(osp.basename(args.config))[0]))
    base_cfg = load_config(resolve_config(sweep.base))
    base = prepare_casp(base_cfg, work_dir, args.data_root)
    grid = {k: list(v) for k, v in sweep.grid.items()}
    runs = expand_grid(base, grid)
    print(f'[sweep] {len(runs)} runs over {sorted(grid)}')
    pipelines = []
    for run in runs:  # every run's settings are checked before any work
        tag = hashlib.sha1(json.dumps(run['params'],
                                      sort_keys=True).encode()).hexdigest()[:8]
        run['work_dir'] = osp.join(work_dir, 'runs', f'run-{tag}')
        dirs = {
            stage: osp.join(work_dir, 'stages', key)
            for stage, key in stage_keys(run['casp']).items()
        }
        try:
            pipelines.append(
                CaspPipeline(
                    run['casp'],
                    run['work_dir'],
                    name=f'sweep_{tag}',
                    stage_dirs=dirs))
        except PipelineError as e:
            sys.exit(f'error in run {run["params"]}: {e}')
    for i, (run, pipeline) in enumerate(zip(runs, pipelines)):
        print(f'[sweep] run {i + 1}/{len(runs)}: {run["params"]}')
        try:
            run['results'] = pipeline.run()
        except PipelineError as e:
            sys.exit(f'error in run {run["params"]}: {e}')
    rows = sweep_rows(runs)
    paths = write_table(rows, work_dir, 'sweep')
    plot_sweep(rows, osp.join(work_dir, 'sweep.png'))
    print('\n' + open(paths['md']).read())
    print(f"sweep table: {paths['md']} (also .csv, .json, sweep.png)")


if __name__ == '__main__':
    run_main(main, PipelineError)
