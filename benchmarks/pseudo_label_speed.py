# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo-labeling speed: mmcasp's labeling loop vs mmdet's stock test loop
on the same model and images, plus CAM post-processing speed.

    python benchmarks/pseudo_label_speed.py --config CONFIG \
        [--checkpoint CKPT] --images IMAGES.json --image-root ROOT \
        --batch-sizes 1 8 32 [--fp16] --out work_dirs/bench/speed.json

Each measurement labels every image of the source once after a warm-up
pass over the first batches; the stock loop is mmengine's Runner.test() with
the config's test pipeline over the same images (batch 1, as
tools/test.py), dumping predictions with DumpDetResults. Numbers are
images/s of wall time, including decoding, on the machine it runs on.
"""
import argparse
import json
import os
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
from mmcasp.apis import load_detector
from mmcasp.pseudo_labels import (DetectorPredictor, cam_to_boxes,
                                  collect_images, run_pseudo_labeling)
from mmcasp.utils import register_all_modules


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', required=True)
    p.add_argument('--checkpoint')
    p.add_argument('--images', required=True, help='COCO json of images')
    p.add_argument('--image-root', required=True)
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8, 32])
    p.add_argument('--fp16', action='store_true', help='also fp16 (GPU)')
    p.add_argument('--num-workers', type=int, default=2)
    p.add_argument('--delta', type=float, default=0.2)
    p.add_argument('--skip-stock', action='store_true')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--out', required=True)
    return p.parse_args()


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def ours(model, cfg, entries, bs, fp16, workers, delta, tmp):
    pred = DetectorPredictor(
        model, cfg.test_dataloader.dataset.pipeline, delta=delta, fp16=fp16)
    warm = entries[:max(2 * bs, 8)]
    run_pseudo_labeling(
        warm,
        pred,
        osp.join(tmp, 'warm.json'),
        prepare=pred.prepare,
        batch_size=bs,
        num_workers=workers,
        show_progress=False)
    out = osp.join(tmp, f'ours_{bs}_{fp16}.json')
    pred.timings = Counter()
    sync()
    t = time.perf_counter()
    stats = run_pseudo_labeling(
        entries,
        pred,
        out,
        prepare=pred.prepare,
        batch_size=bs,
        num_workers=workers,
        show_progress=False)
    sync()
    wall = time.perf_counter() - t
    return dict(
        images_per_s=len(entries) / wall,
        wall_s=wall,
        forward_s=round(pred.timings['forward_s'], 2),
        postprocess_s=round(pred.timings['postprocess_s'], 2),
        labels=stats['labels'],
        images_kept=stats['images_kept'])


def stock(cfg, checkpoint, images, root, workers, tmp):
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
    ds.pipeline = [t for t in ds.pipeline if 'LoadAnnotations' not in t.type]
    c.test_dataloader.batch_size = 1
    c.test_dataloader.num_workers = workers
    c.test_evaluator = dict(
        type='mmdet.DumpDetResults', out_file_path=osp.join(tmp, 'stock.pkl'))
    runner = Runner.from_cfg(c)
    assert DumpDetResults  # the stock dumping metric
    runner.test()  # warm-up pass (model load, first batches)
    sync()
    t = time.perf_counter()
    runner.test()
    sync()
    wall = time.perf_counter() - t
    n = len(runner.test_dataloader.dataset)
    return dict(images_per_s=n / wall, wall_s=wall, batch_size=1)


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


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    entries, _, _ = collect_images(args.images, args.image_root)
    model = load_detector(cfg, args.checkpoint)
    device = str(next(model.parameters()).device)
    tmp = tempfile.mkdtemp()
    res = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        images=len(entries),
        device=torch.cuda.get_device_name(0)
        if device.startswith('cuda') else platform.processor() or 'cpu',
        torch=torch.__version__,
        cpu_threads=torch.get_num_threads(),
        num_workers=args.num_workers,
        ours=[],
        stock=None)
    precisions = [False] + ([True] if args.fp16 else [])
    for fp16 in precisions:
        for bs in args.batch_sizes:
            r = ours(model, cfg, entries, bs, fp16, args.num_workers,
                     args.delta, tmp)
            r.update(batch_size=bs, fp16=fp16)
            print(json.dumps(r))
            res['ours'].append(r)
    if not args.skip_stock:
        res['stock'] = stock(cfg, args.checkpoint, args.images,
                             args.image_root, args.num_workers, tmp)
        print(json.dumps(res['stock']))
    torch.set_num_threads(1)
    res['cam_postprocess_1core'] = cam_postprocess()
    print(json.dumps(res['cam_postprocess_1core']))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(res, f, indent=1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
