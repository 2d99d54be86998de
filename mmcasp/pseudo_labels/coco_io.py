# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo labels as a trainable COCO file; atomic writes; shard records
(:class:`RecordWriter` is the label store's)."""
import datetime
import json
import os.path as osp
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from mmcasp.utils.fileio import dump_json_atomic
from .label_store.record_format import coco_annotations, coco_image
from .label_store.stats import LabelStats
from .label_store.writer import RecordWriter

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
    stats_acc = LabelStats(drop_empty, refused)
    by_id: Dict[int, dict] = {}
    for rec in records:
        by_id[rec['id']] = rec  # a resumed shard may repeat a record
    images, anns = [], []
    for img_id in sorted(by_id):
        rec = by_id[img_id]
        if not stats_acc.add(rec):
            continue
        images.append(coco_image(rec))
        anns.extend(coco_annotations(rec, len(anns) + 1))
    info = dict(info)
    info.setdefault('date_created',
                    datetime.datetime.now().isoformat(timespec='seconds'))
    stats = stats_acc.result()
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
