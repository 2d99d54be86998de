# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo-labeling speed: mmcasp's labeling loop vs mmdet's stock test loop
on the same model and images, plus CAM post-processing speed.

    python benchmarks/pseudo_label_speed.py --config CONFIG \
        [--checkpoint CKPT] --images IMAGES.json --image-root ROOT \
        --batch-sizes 1 8 32 [--fp16] [--bf16] [--rounds 2] \
        --out work_dirs/bench/speed.json

After one warm-up pass of each loop, ``--rounds`` rounds each run every loop
once over all images, interleaved (stock, mmcasp batch 1, 8, 32, ...), so a
machine shared with other work slows all loops alike; a loop's images/s is
its median over the rounds. The stock loop is mmengine's ``Runner.test()``
with the config's test pipeline over the same images (batch 1, as
tools/test.py), dumping predictions with DumpDetResults. Numbers are
images/s of wall time, including decoding, on the machine it runs on. The
script also checks that mmcasp's label files are identical for every batch
size (images, boxes, scores, masks and ids as written), and, for reduced
precision (``--fp16``, ``--bf16``), how its labels differ from fp32's: the
counts, and the box precision and recall of its labels against fp32's at
IoU 0.5 and 0.9.
"""
import argparse
import json
import os.path as osp
import platform
import shutil
import tempfile
import time
from collections import Counter

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import mmcasp  # noqa: F401
from mmcasp.apis import build_detector_predictor, load_detector
from mmcasp.pseudo_labels import (LabelingSettings, cam_to_boxes,
                                  collect_images, dump_json_atomic,
                                  precision_recall_at_iou, run_pseudo_labeling)
from mmcasp.utils import description, register_all_modules


def parse_args():
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument('--config', required=True)
    p.add_argument(
        '--checkpoint',
        help='default: the model initialised with torch.manual_seed(0) '
        '(backbone from its init_cfg, i.e. ImageNet where the config says '
        'so; random where MMCASP_OFFLINE=1), saved once so that every loop '
        'runs the same weights')
    p.add_argument('--images', required=True, help='COCO json of images')
    p.add_argument('--image-root', required=True)
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8, 32])
    p.add_argument('--fp16', action='store_true', help='also fp16 (GPU)')
    p.add_argument(
        '--bf16',
        action='store_true',
        help='also bf16 autocast (a CPU with native bf16, or a GPU)')
    p.add_argument('--num-workers', type=int, default=2)
    p.add_argument('--delta', type=float, default=0.2)
    p.add_argument('--skip-stock', action='store_true')
    p.add_argument(
        '--onednn',
        action='store_true',
        help='also time mmcasp with batch_invariant=False (CPU: oneDNN '
        'convolutions, faster for larger models; last bits depend on the '
        'batch)')
    p.add_argument(
        '--rounds', type=int, default=2, help='interleaved timed rounds')
    p.add_argument('--max-images', type=int, help='first N images only')
    p.add_argument(
        '--processes',
        type=int,
        default=2,
        help='also label with this many processes (gloo, one thread each, '
        'batch 8) and compare with the single-process labels (0: skip)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--out', required=True)
    return p.parse_args()


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


class Ours:
    """mmcasp's loop at one batch size and precision."""

    def __init__(self,
                 model,
                 cfg,
                 entries,
                 bs,
                 precision,
                 workers,
                 delta,
                 tmp,
                 invariant=True):
        self.pred = build_detector_predictor(
            cfg,
            model=model,
            settings=LabelingSettings(
                delta=delta,
                fp16=precision == 'fp16',
                bf16=precision == 'bf16',
                batch_invariant=invariant))
        self.entries, self.bs, self.workers = entries, bs, workers
        self.precision = precision
        self.name = f'ours bs {bs} {precision}' + (''
                                                   if invariant else ' oneDNN')
        self.out = osp.join(tmp, f'ours_{bs}_{precision}_{invariant}.json')
        self.runs = []

    def _label(self, entries, out):
        shutil.rmtree(out + '.shards', ignore_errors=True)
        return run_pseudo_labeling(
            entries,
            self.pred,
            out,
            prepare=self.pred.prepare,
            batch_size=self.bs,
            num_workers=self.workers,
            show_progress=False)

    def warm_up(self):
        self._label(self.entries[:max(2 * self.bs, 8)],
                    self.out + '.warm.json')

    def run(self):
        self.pred.timings = Counter()
        sync()
        t = time.perf_counter()
        stats = self._label(self.entries, self.out)
        sync()
        wall = time.perf_counter() - t
        tm = self.pred.timings
        self.runs.append(
            dict(
                images_per_s=len(self.entries) / wall,
                wall_s=wall,
                forward_s=round(tm['forward_s'], 2),
                mask_paste_s=round(tm['mask_paste_s'], 2),
                postprocess_s=round(tm['postprocess_s'], 2),
                labels=stats['labels'],
                images_kept=stats['images_kept'],
                labels_per_image=round(stats['labels'] / len(self.entries),
                                       2)))
        return self.runs[-1]

    def labels(self):
        with open(self.out) as f:
            d = json.load(f)
        return d['images'], d['annotations']


def label_difference(fp32, other) -> dict:
    """How ``other``'s labels differ from ``fp32``'s (both ``(images,
    annotations)``): counts, and the box precision / recall of ``other``'s
    labels against fp32's as targets, at IoU 0.5 and 0.9."""
    gt = dict(images=fp32[0], annotations=fp32[1])
    dt = dict(images=other[0], annotations=other[1])
    out = dict(
        labels_fp32=len(fp32[1]),
        labels=len(other[1]),
        images_fp32=len(fp32[0]),
        images=len(other[0]))
    for iou in (0.5, 0.9):
        pr = precision_recall_at_iou(gt, dt, iou=iou)
        out[f'precision@{iou}'] = round(pr['precision'], 4)
        out[f'recall@{iou}'] = round(pr['recall'], 4)
    return out


class Stock:
    """mmdet's stock loop: ``Runner.test()`` at batch 1, DumpDetResults."""

    def __init__(self, cfg, checkpoint, images, root, workers, tmp):
        from mmdet.evaluation import DumpDetResults
        c = cfg.copy()
        c.work_dir = osp.join(tmp, 'stock')
        c.load_from = checkpoint
        c.experiment_name = 'bench_stock'
        c.visualizer.name = 'bench_stock_vis'
        ds = c.test_dataloader.dataset
        ds.update(
            type='mmdet.CocoDataset',
            ann_file=osp.abspath(images),
            data_root='',
            data_prefix=dict(img=root.rstrip('/') + '/'),
            test_mode=True,
            metainfo=dict(classes=('object', )))
        ds.pipeline = [
            t for t in ds.pipeline if 'LoadAnnotations' not in t.type
        ]
        c.test_dataloader.batch_size = 1
        c.test_dataloader.num_workers = workers
        c.test_evaluator = dict(
            type='mmdet.DumpDetResults',
            out_file_path=osp.join(tmp, 'stock.pkl'))
        self.runner = Runner.from_cfg(c)
        assert DumpDetResults  # the stock dumping metric
        self.runs = []

    def warm_up(self):
        # the checkpoint only: a full warm-up pass would double the stock
        # loop's share of a CPU run; its first timed pass starts its
        # DataLoader workers, as every Runner.test() call does
        self.runner.load_or_resume()

    def run(self):
        sync()
        t = time.perf_counter()
        self.runner.test()
        sync()
        wall = time.perf_counter() - t
        n = len(self.runner.test_dataloader.dataset)
        self.runs.append(dict(images_per_s=n / wall, wall_s=wall))
        return self.runs[-1]


def summary(runs, **extra):
    """The run of median images/s, with every round's images/s."""
    best = sorted(runs, key=lambda r: r['images_per_s'])[len(runs) // 2]
    return dict(
        best,
        rounds_images_per_s=[round(r['images_per_s'], 2) for r in runs],
        **extra)


def cam_postprocess(num=2000, size=18):
    import cv2
    rng = np.random.default_rng(0)
    cams = [
        cv2.GaussianBlur(m, (5, 5), 2)
        for m in rng.random((num, size, size)).astype(np.float32)
    ]
    cv2.setNumThreads(1)
    t = time.perf_counter()
    n_boxes = 0
    for m in cams:
        n_boxes += len(cam_to_boxes(m)[0])
    wall = time.perf_counter() - t
    return dict(maps_per_s=num / wall, map_size=size, boxes=n_boxes)


def seeded_checkpoint(cfg, tmp):
    """The config's model initialised under ``torch.manual_seed(0)``, saved
    as a checkpoint that every loop (and the stock Runner) loads."""
    torch.manual_seed(0)
    model = load_detector(cfg, None, device='cpu')
    path = osp.join(tmp, 'seeded_init.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def _label_in_process(rank, world, port, cfg_file, checkpoint, entries,
                      settings, out):
    import os
    os.environ.update(
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world))
    torch.set_num_threads(1)  # as torchrun and mmengine set per process
    torch.distributed.init_process_group('gloo', rank=rank, world_size=world)
    try:
        register_all_modules(init_default_scope=False)
        pred = build_detector_predictor(
            cfg_file, checkpoint, settings=settings)
        run_pseudo_labeling(
            entries,
            pred,
            out,
            prepare=pred.prepare,
            batch_size=8,
            num_workers=0,
            show_progress=False)
    finally:
        torch.distributed.destroy_process_group()


def multi_process_labels(cfg, checkpoint, entries, world, settings, tmp):
    """The labels ``world`` processes of one thread write with
    ``settings``."""
    import socket

    import torch.multiprocessing as mp
    cfg_file = osp.join(tmp, 'config.py')
    cfg.dump(cfg_file)
    out = osp.join(tmp, f'processes_{world}.json')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(
        _label_in_process,
        args=(world, port, cfg_file, checkpoint, entries, settings, out),
        nprocs=world)
    with open(out) as f:
        d = json.load(f)
    return d['images'], d['annotations']


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    images = args.images
    tmp = tempfile.mkdtemp()
    if args.max_images:  # a subset file, so the stock loop sees the same
        with open(images) as f:
            src = json.load(f)
        src['images'] = src['images'][:args.max_images]
        images = osp.join(tmp, 'images.json')
        dump_json_atomic(src, images)
    args.images = images
    entries, _, _ = collect_images(args.images, args.image_root)
    if args.checkpoint is None:
        args.checkpoint = seeded_checkpoint(cfg, tmp)
    model = load_detector(cfg, args.checkpoint)
    device = str(next(model.parameters()).device)
    res = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        images=len(entries),
        device=torch.cuda.get_device_name(0)
        if device.startswith('cuda') else platform.processor() or 'cpu',
        torch=torch.__version__,
        cpu_threads=torch.get_num_threads(),
        num_workers=args.num_workers,
        rounds=args.rounds,
        delta=args.delta,
        machine_note='timed rounds interleave the loops; other work may '
        'share the machine',
        ours=[],
        stock=None)
    precisions = ['fp32'] + ['fp16'] * args.fp16 + ['bf16'] * args.bf16
    loops = []
    if not args.skip_stock:
        loops.append(
            Stock(cfg, args.checkpoint, args.images, args.image_root,
                  args.num_workers, tmp))
    modes = [True] + ([False] if args.onednn else [])
    loops += [
        Ours(model, cfg, entries, bs, precision, args.num_workers, args.delta,
             tmp, invariant) for invariant in modes for precision in precisions
        for bs in args.batch_sizes
    ]
    for loop in loops:
        loop.warm_up()
    for r in range(args.rounds):
        for loop in loops:
            name = loop.name if isinstance(loop, Ours) else 'stock'
            print(f'round {r}: {name}', json.dumps(loop.run()), flush=True)
    ours = [loop for loop in loops if isinstance(loop, Ours)]
    reference = {}  # the first batch size's labels, per precision and mode
    for loop in ours:
        labels = loop.labels()
        key = (loop.precision, loop.pred.batch_invariant)
        first = reference.setdefault(key, labels)
        run = summary(
            loop.runs,
            batch_size=loop.bs,
            fp16=loop.precision == 'fp16',
            precision=loop.precision,
            batch_invariant=loop.pred.batch_invariant,
            forward=loop.pred.forward_settings(),
            labels_identical_to_first=labels == first)
        if loop.precision != 'fp32':
            run['vs_fp32_labels'] = label_difference(
                reference['fp32', loop.pred.batch_invariant], labels)
        res['ours'].append(run)
    if not args.skip_stock:
        res['stock'] = summary(loops[0].runs, batch_size=1)
        for r in res['ours']:
            r['vs_stock'] = round(
                r['images_per_s'] / res['stock']['images_per_s'], 2)
    res['labels_identical_across_batch_sizes'] = all(
        r['labels_identical_to_first'] for r in res['ours']
        if r['batch_invariant'])
    if args.processes > 1:
        first = next(loop for loop in ours if loop.pred.batch_invariant)
        res['processes'] = args.processes
        settings = LabelingSettings(delta=args.delta)
        res['labels_identical_across_processes'] = multi_process_labels(
            cfg, args.checkpoint, entries, args.processes, settings,
            tmp) == first.labels()
    print(json.dumps(res['ours']), json.dumps(res['stock']))
    torch.set_num_threads(1)
    res['cam_postprocess_1core'] = cam_postprocess()
    print(json.dumps(res['cam_postprocess_1core']))
    dump_json_atomic(res, args.out)  # makes the folder
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
