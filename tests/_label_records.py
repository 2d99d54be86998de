# Copyright (c) mmcasp contributors. All rights reserved.
"""Hand-made pseudo-label records for the label store's tests: real
pycocotools RLE masks, seeded, with the cases a store must carry (images
without a label, a skipped image, boxes mmdet's loading drops, scores
that round, per-image dropped counts)."""
import os.path as osp
from typing import List

import numpy as np
import pycocotools.mask as mask_utils

from mmcasp.pseudo_labels import RecordWriter

__all__ = ['make_records', 'write_records', 'CATEGORIES']

CATEGORIES = [dict(id=1, name='object', supercategory='object')]


def _rle(h: int, w: int, x: int, y: int, bw: int, bh: int) -> dict:
    m = np.zeros((h, w), np.uint8)
    m[y:y + bh, x:x + bw] = 1
    rle = mask_utils.encode(np.asfortranarray(m))
    rle['counts'] = rle['counts'].decode()
    return rle


def make_records(n: int = 24, seed: int = 0, first_id: int = 1) -> List[dict]:
    """``n`` records of images of ids ``first_id, first_id + 3, ...``:
    0-4 labels each (every 5th image none, image 7 skipped), boxes with
    unrounded coordinates and scores, RLE masks; one label per image
    narrower than a pixel (mmdet's loading drops it)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        image_id = first_id + 3 * k
        h, w = int(rng.integers(24, 64)), int(rng.integers(24, 64))
        rec = dict(id=image_id, file_name=f'sub{k % 2}/{image_id:06d}.png')
        if k == 7:
            out.append(dict(rec, skipped='truncated'))
            continue
        instances = []
        for j in range(0 if k % 5 == 4 else int(rng.integers(1, 5))):
            bw, bh = int(rng.integers(4, w // 2)), int(rng.integers(4, h // 2))
            x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            if j == 2:
                bw = 1  # becomes a 0.5-px box below: mmdet drops it
            box = [
                x + rng.random() / 3, y + rng.random() / 3, bw - 0.5,
                float(bh)
            ]
            instances.append(
                dict(
                    bbox=[float(v) for v in box],
                    score=float(rng.uniform(0.2, 1.0)),
                    category_id=1,
                    segmentation=_rle(h, w, x, y, bw, bh),
                    area=float(bw * bh)))
        out.append(
            dict(
                rec,
                height=h,
                width=w,
                instances=instances,
                dropped={'below_delta': int(rng.integers(0, 9))}))
    return out


def write_records(folder: str,
                  records: List[dict],
                  files: int = 1,
                  seed: int = 0) -> List[str]:
    """Write ``records`` in a seeded random order into ``files`` record
    files of ``folder``; returns their paths."""
    order = np.random.default_rng(seed).permutation(len(records))
    paths = [osp.join(folder, f'shard-{i:03d}.jsonl') for i in range(files)]
    writers = [RecordWriter(p) for p in paths]
    for k, i in enumerate(order):
        writers[k % files].write(records[i])
    for w in writers:
        w.close()
    return paths
