# Copyright (c) mmcasp contributors. All rights reserved.
"""Training speed of a pipeline stage against ``tools/train.py`` on the same
config, side by side.

    python benchmarks/stage_vs_train.py CONFIG [--rounds 2] \\
        [--cfg-options KEY=VALUE ...] --out FILE.json

``CONFIG`` is a stage's config as the pipeline dumped it (e.g.
``work_dirs/demo/warmup/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py``
after ``bash tools/demo.sh``): every path in it is absolute. Each round runs
both, each in a fresh process and its own work dir, alternating which goes
first: ``tools/train.py CONFIG`` and the pipeline's stage trainer
(:func:`mmcasp.pipeline.training.train_stage`, which adds the data checks
before the Runner and, when the config has a test loop whose split the last
validation did not score, a test). Reported per run: process wall time and
the training loop's seconds per iteration (mean of mmengine's logged
``time`` after the first logged window, which holds the DataLoader
workers' start; both runs log alike, from the same config).
"""
import argparse
import glob
import json
import os
import os.path as osp
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

# the pipeline's stage trainer on CONFIG, with --cfg-options parsed as
# tools/train.py parses them
STAGE = """
import argparse, sys
from mmengine.config import Config, DictAction
from mmcasp.pipeline.training import train_stage
from mmcasp.utils import merge_options, register_all_modules
p = argparse.ArgumentParser()
p.add_argument('config')
p.add_argument('work_dir')
p.add_argument('--cfg-options', nargs='+', action=DictAction)
args = p.parse_args()
register_all_modules()
cfg = Config.fromfile(args.config)
cfg.work_dir = args.work_dir
merge_options(cfg, args.cfg_options)
train_stage('stage', cfg)
"""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config')
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='passed as given to both runs')
    p.add_argument(
        '--work-dir',
        help='keep the runs (and their logs) here; default: a temporary '
        'folder, removed at the end')
    p.add_argument('--out', required=True)
    return p.parse_args()


def iteration_times(work_dir):
    """Seconds per iteration of the training loop: the logged ``time``
    values (windowed means) after the first logged window."""
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise SystemExit(f'error: no mmengine scalars.json under {work_dir}')
    times = []
    with open(files[-1]) as f:
        for line in f:
            rec = json.loads(line)
            if 'loss' in rec and 'time' in rec:
                times.append(rec['time'])
    return times[1:] or times


def run(kind, config, work_dir, options):
    """One run in a fresh process; its output goes to ``work_dir``'s
    ``run.log``."""
    opts = ['--cfg-options', *options] if options else []
    if kind == 'tools/train.py':
        cmd = [
            sys.executable,
            osp.join(REPO, 'tools', 'train.py'), config, '--work-dir',
            work_dir, *opts
        ]
    else:
        cmd = [sys.executable, '-c', STAGE, config, work_dir, *opts]
    os.makedirs(work_dir, exist_ok=True)
    log = osp.join(work_dir, 'run.log')
    t = time.perf_counter()
    with open(log, 'w') as f:
        proc = subprocess.run(cmd, cwd=REPO, stdout=f, stderr=f)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f'error: {kind} failed (exit {proc.returncode}), '
                         f'see {log}')
    its = iteration_times(work_dir)
    return dict(
        loop=kind,
        wall_s=round(wall, 2),
        s_per_iter=round(sum(its) / len(its), 4),
        logged_windows=len(its))


def main():
    args = parse_args()
    tmp = args.work_dir or tempfile.mkdtemp(prefix='stage_vs_train_')
    kinds = ['tools/train.py', 'pipeline stage']
    runs = []
    for r in range(args.rounds):
        for kind in (kinds if r % 2 == 0 else kinds[::-1]):
            work = osp.join(tmp, f'{r}_{kind.replace("/", "_")}')
            res = dict(run(kind, args.config, work, args.cfg_options), round=r)
            print(json.dumps(res), flush=True)
            runs.append(res)
    summary = {}
    for kind in kinds:
        mine = [x for x in runs if x['loop'] == kind]
        summary[kind] = dict(
            wall_s=round(sum(x['wall_s'] for x in mine) / len(mine), 2),
            s_per_iter=round(
                sum(x['s_per_iter'] for x in mine) / len(mine), 4))
    summary['stage_vs_train_s_per_iter'] = round(
        summary['pipeline stage']['s_per_iter'] /
        summary['tools/train.py']['s_per_iter'], 3)
    out = dict(
        config=args.config,
        rounds=args.rounds,
        cpu=platform.processor() or platform.machine(),
        runs=runs,
        summary=summary)
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=1)
    print(json.dumps(summary))
    if not args.work_dir:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
