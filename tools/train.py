# Copyright (c) mmcasp contributors. All rights reserved.
"""Train a model (mmdet's ``tools/train.py`` interface, mmcasp registries).

Example::

    python tools/train.py \
        configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py \
        --work-dir work_dirs/toy --cfg-options train_dataloader.batch_size=4
"""
import argparse
import os

from mmengine.config import DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner, find_latest_checkpoint

import mmcasp  # noqa: F401  (version guard, mmcasp:: bases, safe loading)
from mmcasp.datasets import check_datasets, check_mask_loading
from mmcasp.utils import (InputFileError, check_checkpoint,
                          register_all_modules, run_main, runner_config)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If a checkpoint path is given, resume from it; without a path, '
        'resume from the latest checkpoint in the work directory.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs merged into '
        'it, e.g. train_dataloader.batch_size=4 or key="[a,b]".')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed launchers pass --local-rank (or --local_rank).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg, init = runner_config(
        args.config,
        args.cfg_options,
        args.launcher,
        args.work_dir,
        with_init_report=True)

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise InputFileError('--auto-scale-lr needs '
                                 '"auto_scale_lr.base_batch_size" in the '
                                 'config')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    # before the Runner logs and makes its work dir: the data is there and
    # leaves something to train on, the masks reach the loss (a stock mmdet
    # config on RLE labels would train on nothing), the checkpoint to start
    # from exists and is safe to load
    check_datasets(
        cfg,
        loaders=('train_dataloader', 'val_dataloader'),
        evaluators=('val_evaluator', ),
        train_loaders=('train_dataloader', ))
    check_mask_loading(cfg)
    start = cfg.get('load_from') or (cfg.get('resume')
                                     and find_latest_checkpoint(cfg.work_dir))
    if start:
        check_checkpoint(start, 'checkpoint to start from')
    # where the weights start (MMCASP_OFFLINE=1: what was switched off),
    # before the Runner's own output
    print(init.format(), flush=True)
    if start:
        print(f'  then every weight is loaded from {start}', flush=True)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    run_main(main)
