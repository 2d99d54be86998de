# Copyright (c) mmcasp contributors. All rights reserved.
"""Label store at scale: build, dataset init, random reads (main process
and DataLoader workers) and COCO export at N images x 25 labels, against
today's single-JSON path on the same records.

    python benchmarks/label_store_scale.py --images 100000 \\
        --work /tmp/label_store_bench [--json-path-max 200000] [--keep]

Records are synthesised through the project's writer (``RecordWriter``,
as 4 ranks' record files) with real pycocotools RLE masks of 640x480
images: a pool of 4,096 masks (random ellipses and rectangles, encoded by
pycocotools, ~400 characters each) drawn from at random, each label with
its own box and score. Each phase runs in a fresh process: its wall time
and its peak RSS growth above the process's imports (``VmHWM`` after
``clear_refs``, minus ``VmRSS`` after the imports) are printed and
written to ``WORK/results-N.json``. Phases:

* ``synth``: the records (not a target);
* ``build``: :func:`~mmcasp.pseudo_labels.label_store.build_store`;
* ``init``: ``PseudoLabelDataset`` with the toy config's ``filter_cfg``;
* ``read``: 10,000 random ``get_data_info`` in the main process
  (median, p99 latency);
* ``workers``: 20,000 random items through a DataLoader with 2 workers
  (10,000 each): each worker's RSS growth over its reads, and its private
  (anonymous) memory growth;
* ``export``: the streamed COCO file;
* ``json_merge`` and ``json_dataset`` (up to ``--json-path-max`` images):
  today's path, ``read_records`` of every shard + ``build_pseudo_coco`` +
  ``dump_json_atomic``, then mmdet's ``CocoDataset`` (serialized, as
  training builds it) on that file.
"""
import argparse
import json
import os
import os.path as osp
import platform
import re
import shutil
import subprocess
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from mmcasp.utils import description  # noqa: E402

LABELS_PER_IMAGE = 25
H, W = 480, 640
RANKS = 4
POOL = 4096
PHASES = ('pool', 'synth', 'build', 'init', 'read', 'workers', 'export',
          'json_merge', 'json_dataset')


def parse_args():
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument('--images', type=int, required=True)
    parser.add_argument('--work', default='/tmp/label_store_bench')
    parser.add_argument(
        '--json-path-max',
        type=int,
        default=200_000,
        help='run the single-JSON path up to this many images')
    parser.add_argument('--reads', type=int, default=10_000)
    parser.add_argument('--phases', nargs='+', default=list(PHASES))
    parser.add_argument('--keep', action='store_true', help='keep WORK')
    parser.add_argument('--phase', help=argparse.SUPPRESS)
    return parser.parse_args()


def _status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'):
            return int(line.split()[1]) / 1024
    return 0.0


def _private_mb():
    """Private (anonymous + dirty) memory, MB: what copy-on-write grows."""
    total = 0
    for line in open('/proc/self/smaps_rollup'):
        if line.startswith(('Private_Dirty:', 'Private_Clean:')):
            total += int(line.split()[1])
    return total / 1024


class Meter:
    """Wall and CPU time (this process's: what other work on a shared
    machine does not inflate) and peak RSS growth above the RSS at
    start."""

    def __enter__(self):
        self.base = _status('VmRSS')
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset VmHWM
        self.t0 = time.perf_counter()
        self.c0 = time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0
        self.peak = _status('VmHWM') - self.base


def rle_pool(seed=0):
    import cv2
    import pycocotools.mask as mask_utils
    rng = np.random.default_rng(seed)
    pool = []
    for _ in range(POOL):
        m = np.zeros((H, W), np.uint8)
        for _ in range(int(rng.integers(1, 3))):
            cx, cy = int(rng.integers(0, W)), int(rng.integers(0, H))
            ax, ay = int(rng.integers(8, 130)), int(rng.integers(8, 100))
            if rng.random() < 0.5:
                cv2.ellipse(m, (cx, cy), (ax, ay), float(rng.uniform(0, 180)),
                            0, 360, 1, -1)
            else:
                cv2.rectangle(m, (cx - ax, cy - ay), (cx + ax, cy + ay), 1, -1)
        rle = mask_utils.encode(np.asfortranarray(m))
        pool.append(dict(size=[H, W], counts=rle['counts'].decode()))
    return pool


def phase_pool(args, work):
    """The RLE pool's mean ``counts`` length (characters)."""
    return dict(
        mean_counts_chars=float(
            np.mean([len(r['counts']) for r in rle_pool()])))


def phase_synth(args, work):
    from mmcasp.pseudo_labels import RecordWriter
    pool = rle_pool()
    rng = np.random.default_rng(1)
    rec_dir = osp.join(work, 'records')
    os.makedirs(rec_dir, exist_ok=True)
    writers = [
        RecordWriter(osp.join(rec_dir, f'shard-{r:03d}-of-{RANKS:03d}.jsonl'))
        for r in range(RANKS)
    ]
    batch = 8
    for start in range(0, args.images, 10_000):
        n = min(10_000, args.images - start)
        picks = rng.integers(0, POOL, (n, LABELS_PER_IMAGE))
        boxes = rng.uniform(0, 300, (n, LABELS_PER_IMAGE, 4)).round(3)
        scores = rng.uniform(0.2, 1.0, (n, LABELS_PER_IMAGE)).round(6)
        for k in range(n):
            i = start + k
            inst = [
                dict(
                    bbox=boxes[k, j].tolist(),
                    score=float(scores[k, j]),
                    category_id=1,
                    segmentation=pool[picks[k, j]],
                    area=float(boxes[k, j, 2] * boxes[k, j, 3]))
                for j in range(LABELS_PER_IMAGE)
            ]
            writers[(i // batch) % RANKS].write(
                dict(
                    id=i + 1,
                    file_name=f'{i // 1000:04d}/{i + 1:08d}.jpg',
                    height=H,
                    width=W,
                    instances=inst,
                    dropped=dict(below_delta=int(picks[k, 0] % 50))))
    for w in writers:
        w.sync()
        w.close()
    size = sum(osp.getsize(osp.join(rec_dir, f)) for f in os.listdir(rec_dir))
    return dict(records_bytes=size)


def phase_build(args, work):
    from mmcasp.pseudo_labels.label_store import build_store
    with Meter() as m:
        manifest = build_store(
            osp.join(work, 'records'), osp.join(work, 'store'))
    data = osp.join(work, 'store', 'data')
    index = osp.join(work, 'store', 'index')
    return dict(
        wall_s=m.wall,
        cpu_s=m.cpu,
        rss_mb=m.peak,
        images=manifest['images'],
        labels=manifest['labels'],
        data_bytes=sum(
            osp.getsize(osp.join(data, f)) for f in os.listdir(data)),
        index_bytes=sum(
            osp.getsize(osp.join(index, f)) for f in os.listdir(index)))


def _dataset(work):
    from mmengine.registry import DefaultScope

    from mmcasp.datasets import PseudoLabelDataset
    from mmcasp.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        return PseudoLabelDataset(
            store=osp.join(work, 'store'),
            data_prefix=dict(img='images/'),
            filter_cfg=dict(filter_empty_gt=True, min_size=4),
            pipeline=[])


def phase_init(args, work):
    _dataset.__module__  # imports before the meter
    import mmcasp.datasets  # noqa: F401
    with Meter() as m:
        ds = _dataset(work)
    return dict(wall_s=m.wall, cpu_s=m.cpu, rss_mb=m.peak, images=len(ds))


def phase_read(args, work):
    ds = _dataset(work)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(ds), args.reads)
    times = np.zeros(len(idx))
    with Meter() as m:
        for k, i in enumerate(idx):
            t = time.perf_counter()
            ds.get_data_info(int(i))
            times[k] = time.perf_counter() - t
    return dict(
        wall_s=m.wall,
        cpu_s=m.cpu,
        rss_mb=m.peak,
        median_ms=float(np.median(times) * 1e3),
        p99_ms=float(np.percentile(times, 99) * 1e3))


class _Reads:
    """Items: ``get_data_info`` of a random image, then the worker's id,
    RSS and private memory."""

    def __init__(self, ds, n):
        self.ds, self.n = ds, n
        self.idx = np.random.default_rng(1).integers(0, len(ds), n)

    def __len__(self):
        return self.n

    def __getitem__(self, k):
        import torch.utils.data
        info = self.ds.get_data_info(int(self.idx[k]))
        wid = torch.utils.data.get_worker_info().id
        if k < self.n - 2 and k % 1000:  # memory read now and then
            return wid, len(info['instances']), None, None
        return wid, len(info['instances']), _status('VmRSS'), _private_mb()


def _worker_start(_):
    import torch.utils.data
    info = torch.utils.data.get_worker_info()
    print(
        json.dumps(
            dict(worker=info.id, rss=_status('VmRSS'), private=_private_mb())),
        flush=True)


def phase_workers(args, work):
    import torch
    ds = _dataset(work)
    loader = torch.utils.data.DataLoader(
        _Reads(ds, 2 * args.reads),
        batch_size=None,
        num_workers=2,
        worker_init_fn=_worker_start,
        collate_fn=lambda x: x)
    last = {}
    t0 = time.perf_counter()
    for wid, _, rss, private in loader:
        if rss is not None:
            last[wid] = (rss, private)
    return dict(
        wall_s=time.perf_counter() - t0,
        last={
            str(k): v
            for k, v in sorted(last.items())
        })


def phase_export(args, work):
    from mmcasp.pseudo_labels.label_store import export_coco
    out = osp.join(work, 'export.json')
    with Meter() as m:
        export_coco(osp.join(work, 'store'), out)
    size = osp.getsize(out)
    os.remove(out)
    return dict(wall_s=m.wall, cpu_s=m.cpu, rss_mb=m.peak, bytes=size)


def phase_json_merge(args, work):
    from mmcasp.pseudo_labels import (build_pseudo_coco, dump_json_atomic,
                                      read_records)
    rec_dir = osp.join(work, 'records')
    with Meter() as m:
        records = [
            r for f in sorted(os.listdir(rec_dir)) if f.endswith('.jsonl')
            for r in read_records(osp.join(rec_dir, f))
        ]
        coco, _ = build_pseudo_coco(
            records, [dict(id=1, name='object', supercategory='object')], {})
        dump_json_atomic(coco, osp.join(work, 'single.json'))
    return dict(
        wall_s=m.wall,
        cpu_s=m.cpu,
        rss_mb=m.peak,
        bytes=osp.getsize(osp.join(work, 'single.json')))


def phase_json_dataset(args, work):
    from mmengine.registry import DefaultScope

    from mmcasp.datasets import ClassAgnosticCocoDataset
    from mmcasp.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with Meter() as m:
        with DefaultScope.overwrite_default_scope('mmcasp'):
            ds = ClassAgnosticCocoDataset(
                ann_file=osp.join(work, 'single.json'),
                data_prefix=dict(img='images/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=4),
                pipeline=[])
    os.remove(osp.join(work, 'single.json'))
    return dict(wall_s=m.wall, cpu_s=m.cpu, rss_mb=m.peak, images=len(ds))


def _uptime():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def run_phase(args, work, phase):
    """Run ``phase`` in a fresh process; its result dict."""
    cmd = [
        sys.executable,
        osp.abspath(__file__), '--images',
        str(args.images), '--work', args.work, '--reads',
        str(args.reads), '--phase', phase
    ]
    load = _uptime()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'phase {phase} failed:\n{proc.stderr[-3000:]}')
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if phase == 'workers':  # growth of each worker over its reads
        starts = {}  # the workers' lines may share a line of stdout
        for text in re.findall(r'\{"worker"[^{}]*\}', proc.stdout):
            d = json.loads(text)
            starts[str(d['worker'])] = (d['rss'], d['private'])
        result['worker_rss_growth_mb'] = {
            w: result['last'][w][0] - starts[w][0]
            for w in result['last']
        }
        result['worker_private_growth_mb'] = {
            w: result['last'][w][1] - starts[w][1]
            for w in result['last']
        }
    result['load_before'], result['load_after'] = load, _uptime()
    return result


def main():
    args = parse_args()
    work = osp.join(args.work, f'n{args.images}')
    if args.phase:
        import mmcasp.datasets  # noqa: F401  imports before any meter
        import mmcasp.pseudo_labels  # noqa: F401
        print(json.dumps(globals()[f'phase_{args.phase}'](args, work)))
        return
    os.makedirs(work, exist_ok=True)
    results = dict(
        images=args.images,
        labels_per_image=LABELS_PER_IMAGE,
        machine=platform.processor() or platform.machine(),
        cpus=os.cpu_count())
    for phase in args.phases:
        if phase.startswith('json') and args.images > args.json_path_max:
            results[phase] = dict(skipped=f'above --json-path-max '
                                  f'{args.json_path_max}')
            print(f'{phase}: skipped ({args.images} images > '
                  f'--json-path-max {args.json_path_max})')
            continue
        results[phase] = run_phase(args, work, phase)
        print(f'{phase}: {json.dumps(results[phase])}', flush=True)
        out = osp.join(args.work, f'results-{args.images}.json')
        with open(out, 'w') as f:
            json.dump(results, f, indent=1)
    if not args.keep:
        shutil.rmtree(work)


if __name__ == '__main__':
    main()
