# Copyright (c) mmcasp contributors. All rights reserved.
"""Training speed and peak memory: class-agnostic CondInst vs mmdet's stock
CondInst, same backbone (ImageNet EfficientNet-Lite0), FPN and input, with
AMP off and on (AMP on GPU only).

    python benchmarks/train_speed.py --data-root ../shared/data/coco-mini \\
        [--iters 30] [--warmup 5] [--batch 8] [--size 512] [--out FILE.json]

Each model runs its config's real training step (``model.train_step`` with
mmengine's ``OptimWrapper`` / ``AmpOptimWrapper``) on batches of the
labeled COCO-mini images from its config's training pipeline (multi-scale
resize, flip), loaded by a DataLoader with ``--workers`` processes.
Reported: images/s over ``--iters`` timed steps after ``--warmup``, the
share of time spent waiting for data, and peak memory (CUDA: max
allocated; CPU: the process's peak resident set). Every (model, AMP) case
runs in a fresh process, so one case's memory never counts in another's.
AMP is measured on GPU only: mmengine's ``AmpOptimWrapper`` refuses CPUs.

``--config PATH`` (repeatable) measures those configs instead of the two
above, e.g. a pipeline stage's dumped config, with its own data and input
size unless ``--data-root`` / ``--size`` are given (``--size`` rescales
every training scale so that the largest becomes it); run it once per
``--workers`` value to see what the loader's processes cost a run on few
cores:

    python benchmarks/train_speed.py --config WORK/seed0/casp/warmup/X.py \
        --batch 4 --workers 0
"""
import argparse
import json
import os.path as osp
import resource
import subprocess
import sys
import time

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch.utils.data import DataLoader

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.dirname(HERE))
sys.path.insert(0, HERE)  # coco_mini, the benchmark beside it

from coco_mini import rescale_pipeline  # noqa: E402

import mmcasp  # noqa: E402,F401
from mmcasp.registry import DATASETS, MODELS  # noqa: E402
from mmcasp.utils import description, dump_json_atomic, register_all_modules

MODELS_UNDER_TEST = {
    'class-agnostic CondInst (mmcasp)':
    osp.join(HERE, 'configs',
             'condinst-ca_effl0_fpn_36e_coco-mini-objects.py'),
    'CondInst (mmdet, 80 classes)':
    osp.join(HERE, 'configs', 'condinst_effl0_fpn_36e_coco-mini.py'),
}


def _cycle(loader):
    while True:
        yield from loader


def largest_scale(pipeline: list) -> int:
    """The largest side any resize of a data pipeline produces (its
    ``scale``/``scales``), or ``None`` without one."""
    sides = []
    for t in pipeline:
        scales = list(t.get('scales') or [])
        if isinstance(t.get('scale'), (tuple, list)):
            scales.append(t['scale'])
        sides += [max(sc) for sc in scales]
    return max(sides) if sides else None


def measure(config: str, args, amp: bool, device: str) -> dict:
    cfg = Config.fromfile(config)
    ds_cfg = cfg.train_dataloader.dataset
    if args.data_root:
        ds_cfg.data_root = osp.abspath(args.data_root) + '/'
    if args.size:
        own = largest_scale(ds_cfg.pipeline)
        if own is None:
            sys.exit(f'error: --size: {config} resizes nothing')
        rescale_pipeline(ds_cfg.pipeline, args.size / own)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        dataset = DATASETS.build(ds_cfg)
        model = MODELS.build(cfg.model).to(device)
        model.init_weights()
        optim_cfg = dict(cfg.optim_wrapper)
        if amp:
            optim_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic')
        optim = build_optim_wrapper(model, optim_cfg)
    model.train()
    loader = DataLoader(
        dataset,
        batch_size=args.batch,
        shuffle=True,
        num_workers=args.workers,
        collate_fn=pseudo_collate,
        drop_last=True,
        persistent_workers=args.workers > 0)
    batches = _cycle(loader)
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()

    def sync():
        if device == 'cuda':
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        model.train_step(next(batches), optim)
    sync()
    wait = 0.
    t0 = time.perf_counter()
    for _ in range(args.iters):
        td = time.perf_counter()
        data = next(batches)
        wait += time.perf_counter() - td
        model.train_step(data, optim)
    sync()
    elapsed = time.perf_counter() - t0
    peak = (
        torch.cuda.max_memory_allocated() / 2**20 if device == 'cuda' else
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return dict(
        images_per_s=round(args.iters * args.batch / elapsed, 2),
        data_wait_share=round(wait / elapsed, 3),
        peak_memory_mib=round(peak, 1),
        peak_memory_kind='cuda max allocated' if device == 'cuda' else
        'peak RSS of a process that ran only this case')


def cases(device: str, configs=None) -> list:
    """``(model name, config, amp)`` in the order they are measured:
    :data:`MODELS_UNDER_TEST`, or ``configs`` (paths, named by their
    absolute path: stage configs of one pipeline share file names)."""
    models = {
        osp.abspath(c): osp.abspath(c)
        for c in configs
    } if configs else MODELS_UNDER_TEST
    return [(name, config, amp) for name, config in models.items()
            for amp in ((False, True) if device == 'cuda' else (False, ))]


def main(argv=None):
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument(
        '--data-root',
        help='default ../shared/data/coco-mini for the two models; with '
        "--config: the config's own")
    p.add_argument('--iters', type=int, default=30)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument(
        '--size',
        type=int,
        help='longer side, the training scales rescaled from the largest '
        "(default 512 for the two models; with --config: the config's own)")
    p.add_argument(
        '--config',
        action='append',
        help='measure this training config instead (repeatable)')
    p.add_argument('--workers', type=int, default=4)
    p.add_argument('--out')
    # internal: measure only case N of cases() in this process
    p.add_argument('--case', type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.config:
        args.size = args.size or 512
        args.data_root = args.data_root or '../shared/data/coco-mini'
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.case is not None:
        register_all_modules(init_default_scope=False)
        torch.manual_seed(0)
        name, config, amp = cases(device, args.config)[args.case]
        r = dict(model=name, amp=amp, **measure(config, args, amp, device))
        print(json.dumps(r))
        return
    results = dict(
        device=torch.cuda.get_device_name()
        if device == 'cuda' else f'CPU ({torch.get_num_threads()} threads)',
        torch=torch.__version__,
        settings={
            k: v
            for k, v in vars(args).items() if k != 'case'
        },
        runs=[])
    child = [
        sys.executable,
        osp.abspath(__file__), '--iters',
        str(args.iters), '--warmup',
        str(args.warmup), '--batch',
        str(args.batch), '--workers',
        str(args.workers)
    ]
    if args.size:
        child += ['--size', str(args.size)]
    if args.data_root:
        child += ['--data-root', args.data_root]
    for config in args.config or ():
        child += ['--config', osp.abspath(config)]
    for i in range(len(cases(device, args.config))):
        proc = subprocess.run(
            child + ['--case', str(i)], stdout=subprocess.PIPE, text=True)
        if proc.returncode:
            sys.exit(f'error: case {i} failed (exit {proc.returncode})')
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(r))
        results['runs'].append(r)
    if args.out:
        dump_json_atomic(results, args.out)


if __name__ == '__main__':
    main()
