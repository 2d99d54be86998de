# Copyright (c) mmcasp contributors. All rights reserved.
"""Evaluate a checkpoint (mmdet's ``tools/test.py`` interface).

Example::

    python tools/test.py CONFIG CHECKPOINT --work-dir work_dirs/eval \
        --out work_dirs/eval/results.pkl
"""
import argparse
import os

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.evaluation import DumpDetResults
from mmengine.config import DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmcasp  # noqa: F401
from mmcasp.datasets import check_datasets
from mmcasp.utils import (InputFileError, check_checkpoint,
                          register_all_modules, run_main, runner_config)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the metrics')
    parser.add_argument(
        '--out', help='dump predictions to a pickle file (.pkl)')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='folder (under work_dir) for painted images')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config (key=value pairs)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = runner_config(args.config, args.cfg_options, args.launcher,
                        args.work_dir)
    cfg.load_from = args.checkpoint

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise InputFileError(f'--out must be a .pkl file, got {args.out}')
    # before the Runner logs and makes its work dir
    check_datasets(
        cfg, loaders=('test_dataloader', ), evaluators=('test_evaluator', ))
    check_checkpoint(args.checkpoint)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    if args.out is not None:
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    run_main(main)
