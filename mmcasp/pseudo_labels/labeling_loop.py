# Copyright (c) mmcasp contributors. All rights reserved.
"""The pseudo-labeling loop shared by the detector and CAM labelers.

:func:`run_pseudo_labeling` splits the images into fixed chunks, gives each
rank of a torch.distributed job every ``world_size``-th chunk (of an
independent job ``part=(i, n)``, its every ``n``-th chunk first), decodes
images in DataLoader workers, records each image's result as one JSON line
in the rank's record file (resume state: finished images are never redone),
and on rank 0 merges all records: into one COCO file written atomically
(``out_file`` ending in ``.json``, for small sets and stock tools), or into
a label store (any other ``out_file``: a folder; :mod:`.label_store`),
streamed, whatever the number of images. Its statistics account for every
entry the source listed, those refused when it was listed included
(``refused``): ``images_listed = images_kept + images_empty_dropped +
sum(images_skipped.values())``.

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
from collections.abc import Sequence as SequenceABC
from itertools import chain
from typing import (Callable, Hashable, Iterable, Iterator, List, Mapping,
                    Optional, Sequence, Tuple)

import numpy as np
from mmengine.dist import all_gather_object, barrier, get_dist_info
from mmengine.logging import print_log
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Dataset

from mmcasp.datasets.image_source import decode_image
from .coco_io import (RecordWriter, build_pseudo_coco, dump_json_atomic,
                      read_records)
from .extreme_shapes import crop_instances, pad_to_aspect
from .label_store import (RECORDS_DIR, build_store, is_store_path,
                          iter_record_ids, run_tag, write_sidecar)
from .label_store.stats import format_stats
from .label_store.stats import skip_counts as _skip_counts

__all__ = [
    'DecodedImages', 'run_pseudo_labeling', 'format_stats', 'bucket_batches',
    'empty_result_message', 'assigned_rows', 'entry_ids', 'RowsView',
    'parse_part'
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
        # a Sequence (a list, an ImageList, a RowsView) is used as it is:
        # no per-image dict is made before its image is read
        self.entries = entries if isinstance(entries, SequenceABC) \
            else list(entries)
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


def parse_part(text: Optional[str]) -> Optional[Tuple[int, int]]:
    """``'i/n'`` -> ``(i, n)``: independent job ``i`` (0-based) of ``n``.

    Raises:
        ValueError: Not ``i/n`` with ``0 <= i < n``.
    """
    if text is None:
        return None
    try:
        i, n = (int(v) for v in str(text).split('/'))
    except ValueError:
        raise ValueError(f'--part {text!r}: give I/N, e.g. 0/4 for the '
                         'first of 4 jobs') from None
    if not 0 <= i < n:
        raise ValueError(f'--part {text}: I must be in 0..{n - 1} (0-based, '
                         'e.g. $SLURM_ARRAY_TASK_ID of --array=0-'
                         f'{n - 1})')
    return i, n


def assigned_rows(n: int,
                  batch_size: int,
                  rank: int = 0,
                  world: int = 1,
                  part: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """The entries (positions, ascending) one process labels: entries are
    cut into chunks of ``batch_size``; job ``i`` of ``part=(i, n_parts)``
    takes chunks ``i, i + n_parts, ...``; of those, rank ``r`` of ``world``
    takes every ``world``-th from its ``r``-th. Every entry is some
    process's, exactly once."""
    chunks = np.arange((n + batch_size - 1) // batch_size)
    if part is not None:
        chunks = chunks[chunks % part[1] == part[0]]
    chunks = chunks[rank::world]
    rows = (chunks[:, None] * batch_size + np.arange(batch_size)).ravel()
    return rows[rows < n]


def entry_ids(entries: Sequence[dict]) -> np.ndarray:
    """The image ids of ``entries`` as an int64 array (an
    :class:`~mmcasp.datasets.ImageList` has them already)."""
    ids = getattr(entries, 'ids', None)
    if ids is not None:
        return np.asarray(ids, dtype=np.int64)
    return np.fromiter((e['id'] for e in entries),
                       dtype=np.int64,
                       count=len(entries))


class RowsView(SequenceABC):
    """``entries[rows[k]]`` as item ``k``: a process's share of the
    entries without copying them."""

    def __init__(self, entries: Sequence[dict], rows: np.ndarray) -> None:
        self.entries = entries
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return RowsView(self.entries, self.rows[k])
        return self.entries[int(self.rows[k])]


def _done_ids(shard_dir: str) -> np.ndarray:
    """The ids of every image with a complete record in ``shard_dir``
    (any rank's or job's), streamed."""
    files = sorted(glob.glob(osp.join(shard_dir, '*.jsonl')))
    ids = np.fromiter(
        chain.from_iterable(iter_record_ids(p) for p in files), dtype=np.int64)
    return np.unique(ids)


def _label(mine: Sequence[dict], predict: Callable, shard: str,
           prepare: Optional[Callable], batch_size: int, num_workers: int,
           max_pixels: int, batch_key: Optional[Callable],
           show_progress: bool) -> Counter:
    """Label ``mine``, appending one record per image to ``shard``;
    returns the predictions dropped, by reason."""
    multiple = getattr(predict, 'batch_multiple', 1)
    batch_size = -(-batch_size // multiple) * multiple
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

    bar = ProgressBar(len(mine)) if show_progress and len(mine) else None
    dropped = Counter()

    def write(batch: List[dict], valid: List[dict],
              results: Callable[[], list]) -> None:
        by_id, why_by_id = {}, {}
        for it, res in zip(valid, results()):
            if isinstance(res, tuple):
                res, why = res
                dropped.update(why)
                why_by_id[it['entry']['id']] = why
            by_id[it['entry']['id']] = res
        for it in batch:
            writer.write(_record(it, by_id, why_by_id))
        writer.sync()
        if bar is not None:
            bar.update(len(batch))

    stream = (it for chunk in loader for it in chunk)
    # a batch labeled in the background, not yet written; the latest batch
    pending = started = None
    with RecordWriter(shard) as writer:
        try:
            for batch in bucket_batches(stream, batch_size, key):
                valid = [it for it in batch if 'skipped' not in it]
                started = (batch, valid, _start(predict, valid))
                if pending is not None:
                    write(*pending)
                    pending = None
                if hasattr(started[2], 'cancel'):  # runs in the background
                    pending = started
                else:
                    write(*started)
            if pending is not None:
                write(*pending)
                pending = None
        except BaseException:
            # do not leave queued images running after an error or Ctrl-C
            for work in (pending, started):
                if work is not None and hasattr(work[2], 'cancel'):
                    work[2].cancel()
            raise
    if bar is not None:
        print()
    return dropped


def _start(predict: Callable, items: List[dict]) -> Callable[[], list]:
    """Start ``predict`` on ``items``; returns a function giving its
    results. A predictor with a ``submit`` may label in the background (the
    detector's CPU workers: the function then has a ``cancel()``), so the
    loop starts the next batch before it writes this one; any other is
    called at once."""
    if not items:
        return list
    if hasattr(predict, 'submit'):
        return predict.submit(items)
    results = predict(items)
    return lambda: results


def _record(it: dict, by_id: dict, why_by_id: dict) -> dict:
    """An image's record (see :mod:`.label_store.record_format`)."""
    e = it['entry']
    rec = dict(id=e['id'], file_name=e['file_name'])
    if 'skipped' in it:
        rec['skipped'] = it['skipped']
        detail = f": {it['detail']}" if 'detail' in it else ''
        print_log(
            f"pseudo labels: skipped {e['path']}: {it['skipped']}{detail}",
            logger='current',
            level=logging.WARNING)
        return rec
    if 'unpadded' in it:
        h, w = it['unpadded']
        rec.update(
            height=h, width=w, instances=crop_instances(by_id[e['id']], h, w))
    else:
        rec.update(
            height=it['height'], width=it['width'], instances=by_id[e['id']])
    why = why_by_id.get(e['id'])
    if why:
        rec['dropped'] = dict(why)
    return rec


def _finish_coco(ids: np.ndarray, out_file: str, shard_dir: str,
                 ranks: List[dict], categories: List[dict], info: dict,
                 drop_empty: bool, refused: Optional[Mapping]) -> dict:
    """Rank 0 of a COCO run: merge the shards into one file (in memory:
    the small-set path); ``ranks``: each rank's ``dropped``, ``images`` and
    ``wall_s`` of this run."""
    records = [r for p in _shard_files(shard_dir) for r in read_records(p)]
    missing = np.setdiff1d(ids, [r['id'] for r in records])
    if len(missing):
        raise RuntimeError(f'{len(missing)} images have no record in '
                           f'{shard_dir}; rerun to finish them')
    wanted = set(ids.tolist())
    records = [r for r in records if r['id'] in wanted]
    coco, stats = build_pseudo_coco(records, categories, info, drop_empty,
                                    refused)
    total_drop, images_run, slowest = Counter(), 0, 0.0
    for s in ranks:
        total_drop.update(s['dropped'])
        images_run += s['images']
        slowest = max(slowest, s['wall_s'])
    stats['dropped_predictions'] = dict(total_drop)
    _add_speed(stats, images_run, slowest)
    coco['info']['stats'] = stats
    dump_json_atomic(coco, out_file)
    return stats


def _add_speed(stats: dict, images: int, wall: float) -> None:
    stats['images_labeled_this_run'] = images
    stats['wall_s'] = round(wall, 2)
    stats['images_per_s'] = images / wall if wall > 0 else 0.0


def _finish_store(ids: np.ndarray, out_file: str, shard_dir: str, world: int,
                  show_progress: bool) -> dict:
    """Rank 0 of a store run: build the store from every record and
    sidecar in ``shard_dir`` (streamed)."""
    manifest = build_store(
        shard_dir, out_file, wanted_ids=ids, show_progress=show_progress)
    images, wall = 0, 0.0
    for rank in range(world):
        path = osp.join(shard_dir, f'run-{run_tag(rank, world)}.json')
        with open(path) as f:
            side = json.load(f)
        images += side['images_labeled']
        wall = max(wall, side['wall_s'])
    stats = dict(manifest['stats'])
    _add_speed(stats, images, wall)
    return stats


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
        refused: Optional[Mapping[str, int]] = None,
        part: Optional[Tuple[int, int]] = None) -> Optional[dict]:
    """Label ``entries`` and write a COCO file or a label store.

    Args:
        entries: From :func:`~mmcasp.datasets.collect_images`, or an
            :class:`~mmcasp.datasets.ImageList` (:func:`~mmcasp.datasets.
            list_images`: ids and names as arrays, for large sources).
        predict: Called with a list of decoded items (``dict(entry, height,
            width, inputs)``); returns, per item, a list of instances
            (``dict(bbox=[x, y, w, h], score, category_id, ...)``). It may
            return ``(instances, dropped_counter)`` pairs instead.
        out_file: A ``.json`` file: the COCO file to write (atomically, on
            rank 0; merged in memory, for small sets). Anything else: the
            folder of a label store (:mod:`.label_store`), built streamed.
        shard_dir: Where per-rank progress (the record files) lives;
            default ``<out_file>.shards`` for a COCO file,
            ``<out_file>/records`` for a store. Delete it to start over.
        prepare: ``(entry, img) -> inputs``, run in DataLoader workers.
        batch_size: At most this many images per call of ``predict``; a
            batch only holds images of one ``batch_key`` (see
            :func:`bucket_batches`). Rounded up to a multiple of
            ``predict.batch_multiple`` where the predictor has one (the
            detector's CPU workers, which take one image each).
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
        part: ``(i, n)``: label only job ``i``'s share of ``n`` independent
            jobs (no process group; a slurm job array), into a store's
            records; :func:`~mmcasp.pseudo_labels.label_store.build_store`
            (``tools/misc/label_store.py build``) joins the parts once all
            are done. Each job resumes by itself.

    Returns:
        dict: On rank 0, the statistics (also in the file's ``info.stats``
        or the store's manifest); with ``part``, what this job did
        (``part``, ``images``, ``images_labeled_this_run``, ``wall_s``,
        ``images_per_s``). ``None`` on other ranks.
    """
    rank, world = get_dist_info()
    store = is_store_path(out_file)
    if part is not None and not store:
        raise ValueError('part: independent jobs write a label store; give '
                         f'a folder as out_file, not {out_file}')
    default_dir = osp.join(out_file, RECORDS_DIR) if store \
        else out_file + '.shards'
    shard_dir = shard_dir or default_dir
    os.makedirs(shard_dir, exist_ok=True)
    barrier()
    ids = entry_ids(entries)
    done = _done_ids(shard_dir)
    rows = assigned_rows(len(entries), batch_size, rank, world, part)
    mine_rows = rows[~np.isin(ids[rows], done)]
    if len(done) and rank == 0:
        print_log(
            f'pseudo labels: resuming, {len(done)} of {len(entries)} images '
            f'already done in {shard_dir}',
            logger='current')
    categories = categories or [
        dict(id=1, name='object', supercategory='object')
    ]
    info = info or {}
    shard = osp.join(shard_dir, run_tag(rank, world, part) + '.jsonl')
    t0 = time.time()
    dropped = _label(
        RowsView(entries, mine_rows), predict, shard, prepare, batch_size,
        num_workers, max_pixels, batch_key, show_progress and rank == 0)
    wall = time.time() - t0
    if store:
        settings = dict(
            categories=categories,
            info=info,
            refused=dict(refused or {}),
            drop_empty=drop_empty)
        write_sidecar(shard_dir, run_tag(rank, world, part), ids[rows],
                      settings, rank, world, part, len(mine_rows), wall)
    # drops are counted per rank (a COCO run gathers them to rank 0)
    ranks = None if store else all_gather_object(
        dict(dropped=dict(dropped), images=len(mine_rows), wall_s=wall))
    barrier()
    stats = None
    if rank == 0 and part is not None:
        stats = dict(part=list(part), images=len(rows))
        _add_speed(stats, len(mine_rows), wall)
    elif rank == 0 and store:
        stats = _finish_store(ids, out_file, shard_dir, world, show_progress)
    elif rank == 0:
        stats = _finish_coco(ids, out_file, shard_dir, ranks, categories, info,
                             drop_empty, refused)
    barrier()
    return stats
