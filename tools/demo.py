# Copyright (c) mmcasp contributors. All rights reserved.
"""The embedded demo: class-agnostic CondInst on the generated toy dataset.

Generates the toy dataset (if it is not there yet), measures the
class-agnostic AP of the untrained model on the toy val split, trains the
tiny class-agnostic CondInst on the labeled split, measures again and prints
both. Everything is written under ``--work-dir``; a killed run resumes from
its last checkpoint when started again.

    python tools/demo.py [--work-dir work_dirs/demo] [--epochs 12]
"""
import argparse
import json
import os
import os.path as osp
import time

from mmengine.config import Config
from mmengine.runner import Runner

import mmcasp  # noqa: F401
from mmcasp.datasets import make_toy_dataset
from mmcasp.utils import register_all_modules, retarget_data_root

CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'condinst',
    'condinst-ca_r18w16_fpn_toy-12e_toy-objects.py')
TOY = dict(num_images=dict(labeled=120, unlabeled=240, val=60), seed=0)
KEYS = [('AP^det-a', 'agnostic/bbox_mAP'),
        ('AP50^det-a', 'agnostic/bbox_mAP_50'),
        ('AR100^det-a', 'agnostic/bbox_AR@100'),
        ('AP^seg-a', 'agnostic/segm_mAP'),
        ('AP50^seg-a', 'agnostic/segm_mAP_50')]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument(
        '--config', default=CONFIG, help='model config (toy dataset)')
    return parser.parse_args()


def ensure_toy_data(root: str) -> None:
    """Generate the toy data once; a marker records the parameters."""
    marker = osp.join(root, 'toy.json')
    if osp.isfile(marker):
        with open(marker) as f:
            if json.load(f) == TOY:
                return
    make_toy_dataset(root, **TOY)
    with open(marker + '.tmp', 'w') as f:
        json.dump(TOY, f)
    os.replace(marker + '.tmp', marker)


def build_cfg(args, data_root, stage):
    cfg = Config.fromfile(args.config)
    retarget_data_root(cfg, data_root)
    cfg.work_dir = osp.join(args.work_dir, stage)
    cfg.experiment_name = f'demo_{stage}'
    cfg.visualizer.name = f'demo_visualizer_{stage}'
    cfg.train_cfg.max_epochs = args.epochs
    cfg.train_cfg.val_interval = args.epochs
    for sched in cfg.param_scheduler:
        if sched.get('type') == 'MultiStepLR':
            sched['end'] = args.epochs
            sched['milestones'] = [
                max(1, int(args.epochs * 0.75)),
                max(1, int(args.epochs * 0.92))
            ]
    cfg.randomness = dict(seed=0)
    return cfg


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    data_root = osp.join(args.work_dir, 'data')
    t0 = time.time()
    ensure_toy_data(data_root)

    untrained = Runner.from_cfg(build_cfg(args, data_root, 'untrained'))
    before = untrained.test()

    cfg = build_cfg(args, data_root, 'labeler')
    cfg.resume = True  # continue from the last checkpoint if killed
    runner = Runner.from_cfg(cfg)
    runner.train()
    after = runner.test()

    rows = [(name, before.get(key, float('nan')), after.get(key, float('nan')))
            for name, key in KEYS]
    result = dict(
        config=args.config,
        epochs=args.epochs,
        untrained={
            k: before.get(v)
            for k, v in KEYS
        },
        trained={
            k: after.get(v)
            for k, v in KEYS
        },
        wall_time_s=round(time.time() - t0, 1))
    with open(osp.join(args.work_dir, 'demo_results.json'), 'w') as f:
        json.dump(result, f, indent=2)
    print('\nClass-agnostic CondInst on the toy val split '
          f'({args.epochs} epochs on 120 labeled images, CPU):')
    print(f"| {'metric':<12} | {'untrained':>9} | {'trained':>9} |")
    print(f"|{'-' * 14}|{'-' * 11}|{'-' * 11}|")
    for name, b, a in rows:
        print(f'| {name:<12} | {b:>9.3f} | {a:>9.3f} |')
    print(f"\nwall time {result['wall_time_s']} s; results in "
          f"{osp.join(args.work_dir, 'demo_results.json')}")


if __name__ == '__main__':
    main()
