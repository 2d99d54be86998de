# Copyright (c) mmcasp contributors. All rights reserved.
"""PreDet's data side as small pure functions: unsupervised query boxes
(an edge-density sampler) and the geometry of two augmented views.

Why an edge-density sampler and not EdgeBoxes or selective search: the
paper's EdgeBoxes needs a structured-forest model file, and both it and
selective search live in ``opencv-contrib`` (``cv2.ximgproc``), which
cannot be installed next to the ``opencv-python`` that mmcv depends on (the
two wheels ship the same ``cv2`` package). The sampler keeps EdgeBoxes'
idea — a box that tightly encloses an object has many edges near its
border and few in its centre, relative to its size — computed with OpenCV's
Canny edges and an integral image, so scoring 1,000 candidates costs a few
milliseconds and needs no model file.
"""
from typing import Optional, Tuple

import cv2
import numpy as np
from mmcv.ops import nms

__all__ = [
    'edge_density_proposals', 'sample_crop', 'boxes_to_view',
    'boxes_from_view', 'visible_fraction'
]


def _box_sums(integral: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Sums of an image over integer boxes (N, 4) xyxy, via its integral
    image (H+1, W+1)."""
    x0, y0, x1, y1 = boxes.T
    return (integral[y1, x1] - integral[y0, x1] - integral[y1, x0] +
            integral[y0, x0])


def edge_density_proposals(
        img: np.ndarray,
        num: int = 16,
        num_candidates: int = 1000,
        min_size: float = 0.1,
        max_size: float = 0.9,
        max_ratio: float = 3.,
        nms_iou: float = 0.5,
        rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """Up to ``num`` query boxes of an image, without any model.

    Candidates are random boxes (side lengths between ``min_size`` and
    ``max_size`` of the image's, aspect ratio within ``max_ratio``). Each is
    scored by its Canny edges outside its central half-size box, minus those
    inside it, over its perimeter (EdgeBoxes' intuition, see the module
    docstring). The best ones after NMS at ``nms_iou`` are returned; when NMS
    leaves fewer than ``num``, the next best suppressed ones fill up.

    Args:
        img: (H, W, 3) BGR or (H, W) uint8 image.
        rng: Random generator (default: seeded by nothing, i.e. random).

    Returns:
        np.ndarray: (min(num, num_candidates), 4) float32 xyxy boxes in
        pixels, best first.
    """
    rng = rng if rng is not None else np.random.default_rng()
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    edges = (cv2.Canny(gray, 50, 150) > 0).astype(np.float64)
    integral = cv2.integral(edges)  # (H+1, W+1) float64
    bw = rng.uniform(min_size, max_size, num_candidates) * w
    bh = rng.uniform(min_size, max_size, num_candidates) * h
    ratio = np.clip(bw / bh, 1. / max_ratio, max_ratio)
    bw = np.minimum(np.sqrt(bw * bh * ratio), w)
    bh = np.minimum(bw / ratio, h)
    x0 = rng.uniform(0, 1, num_candidates) * (w - bw)
    y0 = rng.uniform(0, 1, num_candidates) * (h - bh)
    boxes = np.stack([x0, y0, x0 + bw, y0 + bh], axis=1)
    ib = np.round(boxes).astype(np.int64)
    ib[:, [0, 2]] = np.clip(ib[:, [0, 2]], 0, w)
    ib[:, [1, 3]] = np.clip(ib[:, [1, 3]], 0, h)
    cx, cy = (ib[:, 0] + ib[:, 2]) // 2, (ib[:, 1] + ib[:, 3]) // 2
    qw, qh = (ib[:, 2] - ib[:, 0]) // 4, (ib[:, 3] - ib[:, 1]) // 4
    centre = np.stack([cx - qw, cy - qh, cx + qw, cy + qh], axis=1)
    total = _box_sums(integral, ib)
    inner = _box_sums(integral, centre)
    perimeter = 2. * ((ib[:, 2] - ib[:, 0]) + (ib[:, 3] - ib[:, 1]))
    scores = (total - 2. * inner) / np.maximum(perimeter, 1.)
    boxes = boxes.astype(np.float32)
    scores = scores.astype(np.float32)
    _, keep = nms(boxes, scores, nms_iou)
    keep = list(keep)
    if len(keep) < num:
        kept = set(keep)
        rest = [i for i in np.argsort(-scores, kind='stable') if i not in kept]
        keep += rest[:num - len(keep)]
    return boxes[np.asarray(keep[:num], dtype=np.int64)]


def sample_crop(height: int,
                width: int,
                scale: Tuple[float, float] = (0.2, 1.),
                ratio: Tuple[float, float] = (3. / 4., 4. / 3.),
                rng: Optional[np.random.Generator] = None,
                attempts: int = 10) -> np.ndarray:
    """A RandomResizedCrop region (MoCo v2 / torchvision's rule).

    Returns:
        np.ndarray: (4, ) float64 xyxy crop in image pixels.
    """
    rng = rng if rng is not None else np.random.default_rng()
    area = height * width
    for _ in range(attempts):
        target = area * rng.uniform(*scale)
        r = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
        cw = np.sqrt(target * r)
        ch = np.sqrt(target / r)
        if 0 < cw <= width and 0 < ch <= height:
            x0 = rng.uniform(0, width - cw)
            y0 = rng.uniform(0, height - ch)
            return np.array([x0, y0, x0 + cw, y0 + ch])
    return np.array([0., 0., float(width), float(height)])  # whole image


def boxes_to_view(boxes: np.ndarray, crop: np.ndarray,
                  out_size: Tuple[int, int], flip: bool) -> np.ndarray:
    """Image boxes (N, 4) xyxy -> coordinates of a view that is ``crop``
    resized to ``out_size`` (h, w) and then flipped horizontally if
    ``flip``. Not clipped: see :func:`visible_fraction`."""
    oh, ow = out_size
    sx = ow / (crop[2] - crop[0])
    sy = oh / (crop[3] - crop[1])
    out = np.empty_like(boxes, dtype=np.float64)
    out[:, [0, 2]] = (boxes[:, [0, 2]] - crop[0]) * sx
    out[:, [1, 3]] = (boxes[:, [1, 3]] - crop[1]) * sy
    if flip:
        out[:, [0, 2]] = ow - out[:, [2, 0]]
    return out


def boxes_from_view(boxes: np.ndarray, crop: np.ndarray,
                    out_size: Tuple[int, int], flip: bool) -> np.ndarray:
    """The inverse of :func:`boxes_to_view`."""
    oh, ow = out_size
    b = np.array(boxes, dtype=np.float64)
    if flip:
        b[:, [0, 2]] = ow - b[:, [2, 0]]
    out = np.empty_like(b)
    out[:, [0, 2]] = b[:, [0, 2]] * (crop[2] - crop[0]) / ow + crop[0]
    out[:, [1, 3]] = b[:, [1, 3]] * (crop[3] - crop[1]) / oh + crop[1]
    return out


def visible_fraction(view_boxes: np.ndarray,
                     out_size: Tuple[int, int]) -> np.ndarray:
    """Fraction (N, ) of each view box's area inside the view."""
    oh, ow = out_size
    x0 = np.clip(view_boxes[:, 0], 0, ow)
    x1 = np.clip(view_boxes[:, 2], 0, ow)
    y0 = np.clip(view_boxes[:, 1], 0, oh)
    y1 = np.clip(view_boxes[:, 3], 0, oh)
    inside = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (view_boxes[:, 2] - view_boxes[:, 0]) * (
        view_boxes[:, 3] - view_boxes[:, 1])
    return inside / np.maximum(area, 1e-12)
