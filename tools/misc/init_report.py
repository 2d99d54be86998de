# Copyright (c) mmcasp contributors. All rights reserved.
"""Print where a config's models start from: every pretrained checkpoint,
whether it is a local file, packaged, already in the download cache or
would be downloaded (and from where to where), and what the backbone starts
from; with MMCASP_OFFLINE=1 (or --offline) also what the offline switch
turns into random weights. Nothing is downloaded, built or trained.

A pipeline config (one with a ``casp`` dict) is reported per stage config
as the config file gives it (the pipeline's own overrides, e.g. DAP's
classifier backbone or a finetune's warmup checkpoint, are not applied).

Example::

    MMCASP_OFFLINE=1 python tools/misc/init_report.py \
        configs/casp/casp_r50_fpn_5x-3x_coco.py
"""
import argparse
import os.path as osp
import sys

from mmcasp.utils import (description, format_stage_init_reports, init_report,
                          load_config, offline_enabled, run_main)
from mmcasp.utils.config import package_root

STAGES = ('labeler', 'warmup', 'finetune', 'baseline')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument('config', help='a model config or a pipeline config')
    parser.add_argument(
        '--offline',
        action='store_true',
        help='report as with MMCASP_OFFLINE=1 (default: the environment)')
    return parser.parse_args(argv)


def _stage_path(path: str) -> str:
    """A stage config as the pipeline finds it: as given (from the current
    folder), else among mmcasp's shipped configs."""
    if osp.isfile(path):
        return path
    shipped = osp.join(package_root(), '.mim', path)
    return shipped if osp.isfile(shipped) else path


def main(argv=None) -> int:
    args = parse_args(argv)
    offline = args.offline or offline_enabled()
    cfg = load_config(args.config)
    if 'casp' not in cfg:
        print(init_report(cfg, offline).format(args.config))
        return 0
    reports = {}
    for stage in STAGES:
        settings = cfg.casp.get(stage) or {}
        if stage == 'baseline' and not settings:
            settings = cfg.casp.get('finetune') or {}
        path = settings.get('config')
        if not path:
            continue  # e.g. a labeler that trains nothing
        stage_cfg = load_config(_stage_path(path))
        if stage == 'baseline':  # the finetune without its transfer
            init = stage_cfg.model.get('init_cfg') or {}
            if 'CaSPTransfer' in str(init.get('type', '')):
                stage_cfg.model.pop('init_cfg')
        reports[f'{stage} ({path})'] = init_report(stage_cfg, offline)
    if offline:
        print('MMCASP_OFFLINE=1: what would be downloaded starts from random '
              'weights instead')
    print(format_stage_init_reports(reports))
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
