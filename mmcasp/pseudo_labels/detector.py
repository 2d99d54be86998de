# Copyright (c) mmcasp contributors. All rights reserved.
"""Detector predictions -> kept pseudo-label instances (pure functions)."""
from collections import Counter
from typing import List, Optional, Tuple

import numpy as np
import torch
from mmcv.ops import nms

from mmcasp.datasets.rle import encode_rle
from .coco_io import xyxy_to_xywh

__all__ = ['select_instances', 'merge_flip_predictions']


def select_instances(bboxes: np.ndarray,
                     scores: np.ndarray,
                     masks: Optional[np.ndarray] = None,
                     delta: float = 0.2,
                     max_per_image: int = 100,
                     min_size: float = 0.,
                     category_id: int = 1) -> Tuple[List[dict], Counter]:
    """Apply CaSP's rules to one image's predictions.

    Args:
        bboxes: (N, 4) xyxy in original image pixels.
        scores: (N, ) objectness in [0, 1].
        masks: (N, H, W) bool masks in original image pixels, or ``None``.
        delta: Keep predictions with score > delta (0.2 in CaSP).
        max_per_image: Keep at most this many, highest scores first.
        min_size: Drop boxes whose width or height is below this (pixels);
            at least 1, since mmdet's COCO loading drops boxes under one
            pixel, which would silently lose the label in training.
        category_id: Category id written for every instance.

    Returns:
        tuple: instances ``dict(bbox=[x, y, w, h], score, category_id[,
        segmentation (RLE, str counts), area])`` sorted by score, and a
        Counter of dropped predictions by reason (``below_delta``,
        ``too_small``, ``over_max``, ``empty_mask``).
    """
    dropped = Counter()
    scores = np.asarray(scores)
    # compare in the scores' precision (0.2 in float32 is 0.20000000298)
    delta = scores.dtype.type(delta) if scores.dtype.kind == 'f' else delta
    min_size = max(float(min_size), 1.0)
    order = np.argsort(-scores, kind='stable')
    out = []
    for i in order:
        if not scores[i] > delta:
            dropped['below_delta'] += 1
            continue
        x0, y0, x1, y1 = bboxes[i]
        if (x1 - x0) < min_size or (y1 - y0) < min_size:
            dropped['too_small'] += 1
            continue
        area = int(masks[i].sum()) if masks is not None else None
        if area == 0:
            dropped['empty_mask'] += 1
            continue
        if len(out) >= max_per_image:
            dropped['over_max'] += 1
            continue
        inst = dict(
            bbox=xyxy_to_xywh(bboxes[i]),
            score=float(scores[i]),
            category_id=category_id)
        if masks is not None:
            inst['segmentation'] = encode_rle(masks[i])
            inst['area'] = float(area)
        out.append(inst)
    return out, dropped


def merge_flip_predictions(pred: dict,
                           pred_flip: dict,
                           width: int,
                           iou_threshold: float = 0.6,
                           max_num: int = 1000) -> dict:
    """Horizontal-flip test-time augmentation for one image.

    Args:
        pred: ``dict(bboxes (N, 4) xyxy, scores (N, )[, masks (N, H, W)])``
            on the original image (numpy).
        pred_flip: The same on the horizontally flipped image.
        width: Image width in pixels.
        iou_threshold: NMS IoU over the union.
        max_num: Keep at most this many.

    Returns:
        dict: Merged predictions in the original image's coordinates.
    """
    fb = pred_flip['bboxes'].copy()
    fb[:, [0, 2]] = width - pred_flip['bboxes'][:, [2, 0]]
    bboxes = np.concatenate([pred['bboxes'], fb]).astype(np.float32)
    scores = np.concatenate([pred['scores'],
                             pred_flip['scores']]).astype(np.float32)
    merged = {}
    if len(scores) == 0:
        keep = np.zeros(0, dtype=np.int64)
    else:
        _, keep = nms(
            torch.from_numpy(bboxes), torch.from_numpy(scores), iou_threshold)
        keep = keep.numpy()[:max_num]
    merged['bboxes'] = bboxes[keep]
    merged['scores'] = scores[keep]
    if 'masks' in pred and 'masks' in pred_flip:
        masks = np.concatenate([pred['masks'], pred_flip['masks'][..., ::-1]])
        merged['masks'] = masks[keep]
    return merged
