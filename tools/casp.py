# Copyright (c) mmcasp contributors. All rights reserved.
"""Run the CaSP pipeline: labeler -> pseudo labels -> warmup -> finetune,
a baseline finetune from the plain init, evaluation and a report.

    python tools/casp.py [CONFIG] [--work-dir DIR] [--data-root DIR]
        [--stages labeler pseudo ...] [--eval-set NAME ANN IMG_DIR ...]
        [--cfg-options KEY=VALUE ...] [--tensorboard]
        [--launcher {none,pytorch,slurm}]

With no argument it runs the CPU demo on the embedded toy dataset
(generated under the work dir). Re-running skips finished stages and resumes
a half-finished training stage from its last checkpoint; results land in
``<work-dir>/report/results.{md,csv,json,png}``.

Distributed (every stage runs on all processes; see tools/dist_casp.sh and
tools/slurm_casp.sh)::

    python -m torch.distributed.run --nproc_per_node 8 tools/casp.py \
        CONFIG --launcher pytorch
"""
import argparse
import os
import os.path as osp
import time

from mmengine.config import DictAction
from mmengine.dist import get_dist_info

import mmcasp  # noqa: F401
from mmcasp.pipeline import (DEFAULT_ORDER, CaspPipeline, PipelineError,
                             apply_cfg_options, prepare_casp, resolve_config)
from mmcasp.pipeline.plan import format_plan
from mmcasp.utils import description, init_distributed, load_config, run_main

DEFAULT = 'configs/casp/casp_r18w16_fpn_toy-demo_toy.py'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument('config', nargs='?', default=DEFAULT)
    p.add_argument('--work-dir')
    p.add_argument(
        '--data-root',
        help='root of the data paths in the '
        'config (default: the config\'s, or generated toy data)')
    p.add_argument(
        '--stages',
        nargs='+',
        metavar='STAGE',
        help=f'stages to run (default all): {", ".join(DEFAULT_ORDER)}; with '
        'casp.rounds > 1 also pseudo_round2, warmup_round2, ...')
    p.add_argument(
        '--eval-set',
        nargs=3,
        action='append',
        default=[],
        metavar=('NAME', 'ANN', 'IMG_DIR'),
        help='an extra evaluation set (repeatable): any COCO-format '
        'annotation file (instances with boxes, and masks for mask AP) and '
        'the folder its file_names are relative to')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        metavar='KEY=VALUE',
        help='override pipeline settings, dotted as in mmdet\'s tools or a '
        'sweep grid: casp.warmup.epochs=1 (or warmup.epochs=1), '
        'pseudo.delta=0.3, finetune.parts="[backbone,neck]", '
        'toy.num_images.labeled=24')
    p.add_argument(
        '--tensorboard',
        action='store_true',
        help='also log every stage to TensorBoard (<stage>/<time>/vis_data)')
    p.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='torch.distributed launcher (CPU processes use gloo)')
    p.add_argument(
        '--dry-run',
        action='store_true',
        help='print what would run (every stage, its config, training data, '
        'epochs, iterations and initial weights, what would be downloaded, '
        'what the checks find) and stop before anything trains')
    p.add_argument(
        '--time-iters',
        type=int,
        default=0,
        metavar='N',
        help='with --dry-run: also time N training iterations of each stage '
        'to run (N batches of labeling for the pseudo stage) on its own '
        'config and data, and print each stage\'s estimated time and the '
        'sum (builds the models, untrained; downloads nothing)')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args(argv)
    if args.time_iters < 0:
        p.error(f'--time-iters: a number of iterations, not {args.time_iters}')
    if args.time_iters and not args.dry_run:
        p.error('--time-iters times the stages of a --dry-run: add --dry-run')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    work_dir = args.work_dir or osp.join(
        'work_dirs',
        osp.splitext(osp.basename(args.config))[0])
    t0 = time.time()
    init_distributed(args.launcher)
    cfg = load_config(resolve_config(args.config))
    apply_cfg_options(cfg, args.cfg_options)
    casp = prepare_casp(cfg, work_dir, args.data_root)
    evals = [dict(name=n, ann=a, img=i) for n, a, i in args.eval_set]
    vis = [dict(type='LocalVisBackend')]
    if args.tensorboard:
        vis.append(dict(type='TensorboardVisBackend'))
    pipeline = CaspPipeline(
        casp,
        work_dir,
        evals,
        name=osp.basename(osp.normpath(work_dir)),
        launcher=args.launcher,
        vis_backends=vis if args.tensorboard else None)
    if args.dry_run:
        print(format_plan(pipeline, args.time_iters))
        return
    results = pipeline.run(args.stages)
    report = results.get('evaluate', {}).get('report')
    if report and get_dist_info()[0] == 0:
        print('\n' + open(report['md']).read())
        print(f"report: {report['md']} (also .csv, .json, .png); "
              f'total wall time this run {time.time() - t0:.0f} s')


if __name__ == '__main__':
    run_main(main, PipelineError)
