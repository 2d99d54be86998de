# Copyright (c) mmcasp contributors. All rights reserved.
"""Train a model (mmdet's ``tools/train.py`` interface, mmcasp registries).

Example::

    python tools/train.py \
        configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py \
        --work-dir work_dirs/toy --cfg-options train_dataloader.batch_size=4
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmcasp  # noqa: F401  (version guard, mmcasp:: bases, safe loading)
from mmcasp.datasets import MaskLoadingError, check_mask_loading
from mmcasp.utils import (InputFileError, cpu_model_wrapper_cfg,
                          init_distributed, load_config, register_all_modules)


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

    try:
        cfg = load_config(args.config)
    except InputFileError as e:
        sys.exit(f'error: {e}')
    cfg.launcher = args.launcher
    # CPU processes need gloo; mmengine's init_dist assumes CUDA
    init_distributed(
        args.launcher,
        cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend', 'nccl'))
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cpu_model_wrapper_cfg(cfg)

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('--auto-scale-lr needs "auto_scale_lr.'
                               'base_batch_size" in the config.')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    try:  # a stock mmdet config on RLE labels would train on nothing
        check_mask_loading(cfg)
    except MaskLoadingError as e:
        sys.exit(f'error: {e}')
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
