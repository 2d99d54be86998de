# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo labels as a trainable COCO file; atomic writes; shard records."""
import datetime
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from mmcasp.datasets.image_source import SKIP_REASONS
from mmcasp.utils.fileio import dump_json_atomic

__all__ = [
    'dump_json_atomic', 'build_pseudo_coco', 'read_records', 'RecordWriter',
    'xyxy_to_xywh'
]


def xyxy_to_xywh(box: Sequence[float]) -> List[float]:
    x0, y0, x1, y1 = [float(v) for v in box]
    return [x0, y0, x1 - x0, y1 - y0]


def build_pseudo_coco(
        records: Iterable[dict],
        categories: List[dict],
        info: dict,
        drop_empty: bool = True,
        refused: Optional[Mapping[str, int]] = None) -> Tuple[dict, dict]:
    """Merge per-image records into one COCO dataset dict.

    Args:
        records: One per image: ``dict(id, file_name, height, width,
            instances=[dict(bbox=[x, y, w, h], score, category_id[,
            segmentation, area])])`` or ``dict(id, file_name,
            skipped=reason)``.
        categories: COCO categories of the file.
        info: Goes to ``info`` (model, checkpoint, δ, date are added by the
            callers).
        drop_empty: Drop images left without labels (CaSP's rule).
        refused: Entries the image source listed but refused before
            labeling, by reason (the ``skipped`` counts of
            :func:`~mmcasp.datasets.collect_images`): they count as listed
            and skipped, so that the statistics account for every entry.

    Returns:
        tuple: ``(coco_dict, stats)``; images sorted by id, annotation ids
        1..M in that order, so the file does not depend on how the work was
        split. ``stats``: ``images_listed`` (every entry of the source,
        refused ones included) ``= images_kept + images_empty_dropped +
        sum(images_skipped.values())``; ``images_in`` (the entries labeled
        or skipped when decoded: listed minus refused); ``images_skipped``
        by reason (:data:`~mmcasp.datasets.SKIP_REASONS`, refused and
        decode-time reasons together, in that table's order); labels per
        image and a score histogram (10 bins over [0, 1]).

    Raises:
        ValueError: A reason of ``refused`` that is not a skip reason.
    """
    refused = {k: int(v) for k, v in (refused or {}).items() if v}
    unknown = sorted(set(refused) - set(SKIP_REASONS))
    if unknown:
        raise ValueError(f'refused: {unknown} are not skip reasons; use '
                         f'those of SKIP_REASONS: {sorted(SKIP_REASONS)}')
    by_id: Dict[int, dict] = {}
    for rec in records:
        by_id[rec['id']] = rec  # a resumed shard may repeat a record
    images, anns = [], []
    skipped: Dict[str, int] = {}
    empty = 0
    per_image: List[int] = []
    hist = [0] * 10
    for img_id in sorted(by_id):
        rec = by_id[img_id]
        if rec.get('skipped'):
            skipped[rec['skipped']] = skipped.get(rec['skipped'], 0) + 1
            continue
        inst = rec.get('instances', [])
        if not inst and drop_empty:
            empty += 1
            continue
        images.append(
            dict(
                id=img_id,
                file_name=rec['file_name'],
                height=rec['height'],
                width=rec['width']))
        per_image.append(len(inst))
        for ins in inst:
            ann = dict(
                id=len(anns) + 1,
                image_id=img_id,
                category_id=ins['category_id'],
                bbox=[round(float(v), 2) for v in ins['bbox']],
                area=float(ins.get('area', ins['bbox'][2] * ins['bbox'][3])),
                score=round(float(ins['score']), 5),
                iscrowd=0)
            if 'segmentation' in ins:
                ann['segmentation'] = ins['segmentation']
            anns.append(ann)
            hist[min(int(ins['score'] * 10), 9)] += 1
    for reason, n in refused.items():
        skipped[reason] = skipped.get(reason, 0) + n
    order = list(SKIP_REASONS)
    skipped = {
        k: skipped[k]
        for k in sorted(
            skipped,
            key=lambda r: (order.index(r) if r in order else len(order), r))
    }
    info = dict(info)
    info.setdefault('date_created',
                    datetime.datetime.now().isoformat(timespec='seconds'))
    stats = dict(
        images_listed=len(by_id) + sum(refused.values()),
        images_in=len(by_id),
        images_kept=len(images),
        images_empty_dropped=empty if drop_empty else 0,
        images_skipped=skipped,
        labels=len(anns),
        labels_per_image_mean=(sum(per_image) /
                               len(per_image)) if per_image else 0.0,
        labels_per_image_max=max(per_image) if per_image else 0,
        score_histogram=dict(
            bins=[round(i / 10, 1) for i in range(11)], counts=hist))
    info['stats'] = stats
    return dict(
        info=info, images=images, annotations=anns,
        categories=categories), stats


def read_records(path: str) -> List[dict]:
    """Records of a shard file (JSON lines). A last line cut short by a
    kill is ignored: that image is simply labeled again."""
    if not osp.isfile(path):
        return []
    records = []
    with open(path) as f:
        for line in f:
            if not line.endswith('\n'):
                break  # partial write
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return records


class RecordWriter:
    """Append-only JSON-lines writer of per-image records (one shard).

    Every record is flushed; :meth:`sync` (called once per batch) fsyncs,
    so a killed run loses at most the batch being written. Opening drops a
    partial trailing line.
    """

    def __init__(self, path: str) -> None:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        good = read_records(path)
        # rewrite the file without a possibly partial last line
        if osp.isfile(path):
            with open(path) as f:
                content = f.read()
            if content and not content.endswith('\n') or len(
                    content.splitlines()) != len(good):
                tmp = path + '.tmp'
                with open(tmp, 'w') as f:
                    for rec in good:
                        f.write(json.dumps(rec) + '\n')
                os.replace(tmp, path)
        self.path = path
        self._f = open(path, 'a')

    def write(self, record: dict) -> None:
        self._f.write(json.dumps(record) + '\n')
        self._f.flush()

    def sync(self) -> None:
        os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> Optional[bool]:
        self.close()
        return None
