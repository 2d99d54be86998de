# Copyright (c) mmcasp contributors. All rights reserved.
"""The pseudo-labeling loop shared by the detector and CAM labelers.

:func:`run_pseudo_labeling` splits the images into fixed chunks, gives each
rank of a torch.distributed job every ``world_size``-th chunk, decodes images
in DataLoader workers, records each image's result as one JSON line in the
rank's shard file (resume state: finished images are never redone), and on
rank 0 merges all shards into one COCO file written atomically. Its
``info.stats`` account for every entry the source listed, those refused
when it was listed included (``refused``): ``images_listed = images_kept +
images_empty_dropped + sum(images_skipped.values())``.

Batches are formed after decoding, per *bucket*: a predictor may define
``batch_key(item)`` (the detector's is the padded input shape), and a batch
only holds images of one key. Images of different shapes are never padded
to each other, so an image's labels do not depend on which images share its
batch, the batch size or the number of processes (see
:func:`bucket_batches`).
"""
import glob
import json
import logging
import os
import os.path as osp
import time
from collections import Counter
from typing import (Callable, Hashable, Iterable, Iterator, List, Mapping,
                    Optional, Sequence)

from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Dataset

from mmcasp.datasets.image_source import decode_image
from .coco_io import (RecordWriter, build_pseudo_coco, dump_json_atomic,
                      read_records)
from .extreme_shapes import crop_instances, pad_to_aspect

__all__ = [
    'DecodedImages', 'run_pseudo_labeling', 'format_stats', 'bucket_batches',
    'empty_result_message'
]


class DecodedImages(Dataset):
    """The labeling loop's torch dataset: item ``i`` is entry ``i``
    decoded (and prepared), i.e. ``dict(entry, height, width, inputs)``.

    Not the registered mmengine :class:`~mmcasp.datasets.ImageDataset`
    (PreDet training); this one only feeds the DataLoader workers of
    :func:`run_pseudo_labeling`. An optional ``prepare`` turns
    ``(entry, img)`` into model inputs inside the worker. Bad images come
    back as ``dict(entry=..., skipped=reason[, detail=text])``, the reason
    from :data:`~mmcasp.datasets.SKIP_REASONS`. An image the pipeline
    cannot take at its shape is padded to an aspect ratio it can
    (:mod:`.extreme_shapes`) and marked ``unpadded=(h, w)``: its labels are
    cropped back."""

    def __init__(self,
                 entries: Sequence[dict],
                 prepare: Optional[Callable] = None,
                 max_pixels: int = 40_000_000) -> None:
        self.entries = list(entries)
        self.prepare = prepare
        self.max_pixels = max_pixels

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, idx: int) -> dict:
        entry = self.entries[idx]
        img, reason = decode_image(entry['path'], self.max_pixels)
        if img is None:
            return dict(entry=entry, skipped=reason)
        item = dict(entry=entry, height=img.shape[0], width=img.shape[1])
        if not self.prepare:
            item['inputs'] = img
            return item
        try:
            item['inputs'] = self.prepare(entry, img)
        except Exception as e:  # e.g. a 4 x 3000 px strip: resized to 0 px
            padded = pad_to_aspect(img)
            if padded is img:
                return dict(
                    entry=entry, skipped='prepare_failed', detail=repr(e))
            try:  # label it padded; the labels are cropped back
                item['inputs'] = self.prepare(entry, padded)
            except Exception as e2:
                return dict(
                    entry=entry, skipped='prepare_failed', detail=repr(e2))
            item.update(
                unpadded=(img.shape[0], img.shape[1]),
                height=padded.shape[0],
                width=padded.shape[1])
        return item


def _collate(batch):
    return batch


def bucket_batches(items: Iterable[dict],
                   batch_size: int,
                   key: Callable[[dict], Optional[Hashable]],
                   max_held: Optional[int] = None) -> Iterator[List[dict]]:
    """Group a stream of items into batches whose items share one key.

    A bucket goes out as soon as it holds ``batch_size`` items. When more
    than ``max_held`` items (default ``4 * batch_size``) wait in unfinished
    buckets, the fullest one goes out early, as a smaller batch of one key
    (bounded memory with many shapes). At the end the rest go out in the
    order their keys were first seen. An item whose key is ``None`` goes out
    alone at once (e.g. an image that was skipped). Deterministic for a given
    stream: no timing or hashing order is involved.

    With a key that determines everything a batch shares (the detector's
    padded input shape), a batch of one key gives each image the same input
    as a batch of one would, whatever ``batch_size`` is.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    max_held = 4 * batch_size if max_held is None else max_held
    buckets: dict = {}  # insertion-ordered
    held = 0
    for it in items:
        k = key(it)
        if k is None:
            yield [it]
            continue
        bucket = buckets.setdefault(k, [])
        bucket.append(it)
        held += 1
        if len(bucket) == batch_size:
            held -= len(buckets.pop(k))
            yield bucket
        elif held > max_held:
            fullest = max(buckets, key=lambda b: len(buckets[b]))
            out = buckets.pop(fullest)
            held -= len(out)
            yield out
    yield from buckets.values()


def _shard_files(shard_dir: str) -> List[str]:
    return sorted(glob.glob(osp.join(shard_dir, 'shard-*.jsonl')))


def _skip_counts(skipped: Mapping[str, int]) -> str:
    """``3 (missing: 1, truncated: 2)``, or ``none``."""
    if not skipped:
        return 'none'
    return f'{sum(skipped.values())} (' + ', '.join(
        f'{k}: {v}' for k, v in skipped.items()) + ')'


def format_stats(stats: dict) -> str:
    """Human-readable summary of a run. Its first two lines account for
    every listed entry: ``images in: I of L listed, kept: K, dropped empty:
    E`` and ``skipped: S (reason: n, ...)`` with ``L = K + E + S`` (``I``:
    the entries not refused when the source was listed). Statistics of
    files written before ``images_listed`` existed read ``L = I``."""
    listed = stats.get('images_listed', stats['images_in'])
    lines = [
        f"images in: {stats['images_in']} of {listed} listed, "
        f"kept: {stats['images_kept']}, "
        f"dropped empty: {stats['images_empty_dropped']}",
        f"skipped: {_skip_counts(stats['images_skipped'])}",
        f"labels: {stats['labels']} "
        f"({stats['labels_per_image_mean']:.2f} per kept image, "
        f"max {stats['labels_per_image_max']})",
    ]
    hist = stats['score_histogram']
    lines.append('score histogram: ' + ' '.join(
        f'[{hist["bins"][i]:.1f},{hist["bins"][i + 1]:.1f}):{c}'
        for i, c in enumerate(hist['counts'])))
    if 'images_per_s' in stats:
        lines.append(f"speed: {stats['images_per_s']:.2f} images/s "
                     f"({stats['wall_s']:.1f} s)")
    if stats.get('dropped_predictions'):
        lines.append(f"predictions dropped: {stats['dropped_predictions']}")
    return '\n'.join(lines)


def empty_result_message(stats: dict, out_file: str,
                         advice: str) -> Optional[str]:
    """What to say when a run made no label at all (``None`` if it made
    one): no image kept, or (``drop_empty=False``) images kept without a
    label. Such a file trains nothing (mmdet filters images without
    annotations, then has no data), so the tools stop with this message
    unless asked to accept it. One line: the counts that tell why (dropped
    empty, skipped by reason, predictions dropped by reason), that
    ``out_file`` was written anyway (its ``info.stats`` can be read), then
    ``advice`` (what the caller's user can change)."""
    if stats['labels'] > 0:
        return None
    listed = stats.get('images_listed', stats['images_in'])
    if stats['images_kept'] == 0:
        what = (f'no image kept: none of the {listed} listed entries got a '
                f"label ({stats['images_empty_dropped']} dropped empty, "
                f"skipped: {_skip_counts(stats['images_skipped'])}")
    else:
        what = (f"no label made: the {stats['images_kept']} kept images "
                f'(of {listed} listed) have no label (skipped: '
                f"{_skip_counts(stats['images_skipped'])}")
    dropped = stats.get('dropped_predictions')
    if dropped:
        what += f'; predictions dropped: {_skip_counts(dropped)}'
    return (f'{what}); {out_file} was written anyway, without labels, so '
            f'that its info.stats can be read. {advice}').rstrip()


def run_pseudo_labeling(
        entries: Sequence[dict],
        predict: Callable[[List[dict]], List[List[dict]]],
        out_file: str,
        shard_dir: Optional[str] = None,
        prepare: Optional[Callable] = None,
        batch_size: int = 8,
        num_workers: int = 2,
        categories: Optional[List[dict]] = None,
        info: Optional[dict] = None,
        drop_empty: bool = True,
        show_progress: bool = True,
        max_pixels: int = 40_000_000,
        batch_key: Optional[Callable] = None,
        refused: Optional[Mapping[str, int]] = None) -> Optional[dict]:
    """Label ``entries`` and write a COCO file.

    Args:
        entries: From :func:`~mmcasp.datasets.collect_images`.
        predict: Called with a list of decoded items (``dict(entry, height,
            width, inputs)``); returns, per item, a list of instances
            (``dict(bbox=[x, y, w, h], score, category_id, ...)``). It may
            return ``(instances, dropped_counter)`` pairs instead.
        out_file: The COCO file to write (atomically, on rank 0).
        shard_dir: Where per-rank progress lives; default
            ``<out_file>.shards``. Delete it to start over.
        prepare: ``(entry, img) -> inputs``, run in DataLoader workers.
        batch_size: At most this many images per forward pass; a batch
            only holds images of one ``batch_key`` (see
            :func:`bucket_batches`).
        num_workers: DataLoader workers decoding images.
        categories: Categories of the file (default one ``object``).
        info: Extra ``info`` (model, checkpoint, δ...).
        drop_empty: Drop images left without a label (CaSP).
        show_progress: Progress bar (rank 0).
        max_pixels: Larger images are skipped (``too_large``).
        batch_key: ``item -> hashable``: images of one key may share a
            batch. Default: ``predict.batch_key`` if it has one (the
            detector's padded input shape), else any images may.
        refused: The entries the source refused when it was listed, by
            reason (the ``skipped`` counts of
            :func:`~mmcasp.datasets.collect_images`, given with
            ``entries``): the file's statistics count them as listed and
            skipped (see :func:`~mmcasp.pseudo_labels.build_pseudo_coco`).
            Every caller that lists a source passes them; without them the
            statistics only cover ``entries``.

    Returns:
        dict: Statistics on rank 0 (also in the file's ``info.stats``);
        ``None`` on other ranks.
    """
    rank, world = get_dist_info()
    shard_dir = shard_dir or out_file + '.shards'
    os.makedirs(shard_dir, exist_ok=True)
    barrier()
    done = set()
    for path in _shard_files(shard_dir):
        done.update(r['id'] for r in read_records(path))
    batches = [
        list(entries[i:i + batch_size])
        for i in range(0, len(entries), batch_size)
    ]
    mine = [e for b in batches[rank::world] for e in b if e['id'] not in done]
    if done and rank == 0:
        print_log(
            f'pseudo labels: resuming, {len(done)} of {len(entries)} images '
            f'already done in {shard_dir}',
            logger='current')
    loader = DataLoader(
        DecodedImages(mine, prepare, max_pixels),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=_collate)
    predictor_key = batch_key or getattr(predict, 'batch_key', None)

    def key(item: dict) -> Optional[Hashable]:
        if 'skipped' in item:
            return None
        return predictor_key(item) if predictor_key else 0

    shard = osp.join(shard_dir, f'shard-{rank:03d}-of-{world:03d}.jsonl')
    bar = ProgressBar(len(mine)) if show_progress and rank == 0 and mine \
        else None
    dropped = Counter()
    t0 = time.time()
    stream = (it for chunk in loader for it in chunk)
    with RecordWriter(shard) as writer:
        for batch in bucket_batches(stream, batch_size, key):
            valid = [it for it in batch if 'skipped' not in it]
            results = predict(valid) if valid else []
            by_id = {}
            for it, res in zip(valid, results):
                if isinstance(res, tuple):
                    res, why = res
                    dropped.update(why)
                by_id[it['entry']['id']] = res
            for it in batch:
                e = it['entry']
                rec = dict(id=e['id'], file_name=e['file_name'])
                if 'skipped' in it:
                    rec['skipped'] = it['skipped']
                    detail = f": {it['detail']}" if 'detail' in it else ''
                    print_log(
                        f"pseudo labels: skipped {e['path']}: "
                        f"{it['skipped']}{detail}",
                        logger='current',
                        level=logging.WARNING)
                elif 'unpadded' in it:
                    h, w = it['unpadded']
                    rec.update(
                        height=h,
                        width=w,
                        instances=crop_instances(by_id[e['id']], h, w))
                else:
                    rec.update(
                        height=it['height'],
                        width=it['width'],
                        instances=by_id[e['id']])
                writer.write(rec)
            writer.sync()
            if bar is not None:
                bar.update(len(batch))
    wall = time.time() - t0
    if bar is not None:
        print()
    # drops are counted per rank; collect them through the shard dir
    dump_json_atomic(
        dict(dropped=dict(dropped), images=len(mine), wall_s=wall),
        osp.join(shard_dir, f'stats-{rank:03d}-of-{world:03d}.json'))
    barrier()
    if rank != 0:
        barrier()
        return None
    records = [r for p in _shard_files(shard_dir) for r in read_records(p)]
    missing = {e['id'] for e in entries} - {r['id'] for r in records}
    if missing:
        raise RuntimeError(f'{len(missing)} images have no record in '
                           f'{shard_dir}; rerun to finish them')
    wanted = {e['id'] for e in entries}
    records = [r for r in records if r['id'] in wanted]
    categories = categories or [
        dict(id=1, name='object', supercategory='object')
    ]
    coco, stats = build_pseudo_coco(records, categories, info or {},
                                    drop_empty, refused)
    total_drop, images_run, slowest = Counter(), 0, 0.0
    for path in glob.glob(osp.join(shard_dir, f'stats-*-of-{world:03d}.json')):
        with open(path) as f:
            s = json.load(f)
        total_drop.update(s['dropped'])
        images_run += s['images']
        slowest = max(slowest, s['wall_s'])
    stats['dropped_predictions'] = dict(total_drop)
    stats['images_labeled_this_run'] = images_run
    stats['wall_s'] = round(slowest, 2)
    stats['images_per_s'] = images_run / slowest if slowest > 0 else 0.0
    coco['info']['stats'] = stats
    dump_json_atomic(coco, out_file)
    barrier()
    return stats
