# Copyright (c) mmcasp contributors. All rights reserved.
"""Class activation maps -> pseudo boxes (DAP), as pure numpy/OpenCV.

For one class's CAM (min-max normalised to [0, 1], DAP Eq. 1) and each
threshold τ: the binary map ``cam > τ`` (Eq. 2) is split into 8-connected
components (OpenCV); components smaller than half the largest one are
dropped; each remaining
component gives a box by *moment matching*: with the CAM values inside the
component as weights, the box centre is the weighted mean of the cell
centres and its size is ``w = sqrt(12 var_x)``, ``h = sqrt(12 var_y)``,
the width/height of a uniform distribution with that variance. Cells are
unit squares, so the variance of the cell *centres* gets each cell's own
``1/12``: a uniform rectangle of cells gives exactly that rectangle. The
boxes of all thresholds are merged by NMS at IoU 0.8. A box's score is the
mean normalised activation inside its component.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np
from mmcv.ops import nms

__all__ = [
    'normalize_cam', 'component_boxes', 'nms_keep', 'cam_to_boxes',
    'scale_boxes'
]


def normalize_cam(cam: np.ndarray) -> np.ndarray:
    """Min-max normalise an (h, w) map to [0, 1] (all-equal maps -> 0)."""
    cam = cam.astype(np.float32)
    lo, hi = float(cam.min()), float(cam.max())
    if hi - lo < 1e-12:
        return np.zeros_like(cam)
    return (cam - lo) / (hi - lo)


def component_boxes(cam: np.ndarray,
                    threshold: float,
                    min_ratio: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """Boxes of the connected components of ``cam > threshold`` (DAP Eq. 2:
    the indicator is strict).

    Args:
        cam: (h, w) normalised CAM.
        threshold: τ.
        min_ratio: Components with area < ``min_ratio`` x the largest area
            are dropped.

    Returns:
        tuple: boxes (K, 4) xyxy in CAM cell units (cell (i, j) spans
        [j, j+1] x [i, i+1]) and scores (K, ).
    """
    binary = (cam > threshold).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        binary, connectivity=8)
    if n <= 1:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.nonzero(areas >= min_ratio * areas.max())[0] + 1
    flat = labels.ravel()
    w = cam.ravel().astype(np.float64) * (flat > 0)
    h_, w_ = cam.shape
    ys, xs = np.divmod(np.arange(h_ * w_), w_)
    xc, yc = xs + 0.5, ys + 0.5
    sw = np.bincount(flat, weights=w, minlength=n)
    sx = np.bincount(flat, weights=w * xc, minlength=n)
    sy = np.bincount(flat, weights=w * yc, minlength=n)
    sxx = np.bincount(flat, weights=w * xc * xc, minlength=n)
    syy = np.bincount(flat, weights=w * yc * yc, minlength=n)
    cnt = np.bincount(flat, minlength=n)
    boxes, scores = [], []
    for k in keep:
        if sw[k] <= 0:
            continue
        mx, my = sx[k] / sw[k], sy[k] / sw[k]
        vx = max(sxx[k] / sw[k] - mx * mx, 0.) + 1. / 12
        vy = max(syy[k] / sw[k] - my * my, 0.) + 1. / 12
        bw, bh = np.sqrt(12 * vx), np.sqrt(12 * vy)
        boxes.append([mx - bw / 2, my - bh / 2, mx + bw / 2, my + bh / 2])
        scores.append(sw[k] / cnt[k])
    if not boxes:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    boxes = np.array(boxes, np.float32)
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, w_)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, h_)
    return boxes, np.array(scores, np.float32)


def nms_keep(boxes: np.ndarray, scores: np.ndarray,
             iou_threshold: float) -> np.ndarray:
    """Indices of the boxes greedy NMS keeps (those whose IoU with every
    higher-scoring kept box is at most ``iou_threshold``), highest score
    first: mmcv's ``nms`` on numpy arrays."""
    return nms(
        boxes.astype(np.float32), scores.astype(np.float32),
        iou_threshold)[1].astype(np.int64)


def cam_to_boxes(cam: np.ndarray,
                 thresholds: Sequence[float] = (0.2, 0.3, 0.4, 0.5),
                 min_ratio: float = 0.5,
                 nms_iou: float = 0.8,
                 normalize: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """All boxes of one class's CAM.

    Args:
        cam: (h, w) CAM (raw, or normalised with ``normalize=False``).
        thresholds: τ values.
        min_ratio: See :func:`component_boxes`.
        nms_iou: IoU of the final NMS.
        normalize: Min-max normalise first.

    Returns:
        tuple: boxes (K, 4) xyxy in CAM cells, scores (K, ), sorted by score.
    """
    cam = normalize_cam(cam) if normalize else cam
    all_boxes, all_scores = [], []
    for t in thresholds:
        b, s = component_boxes(cam, t, min_ratio)
        all_boxes.append(b)
        all_scores.append(s)
    boxes = np.concatenate(all_boxes)
    scores = np.concatenate(all_scores)
    if len(boxes) == 0:
        return boxes, scores
    keep = nms_keep(boxes, scores, nms_iou)
    return boxes[keep], scores[keep]


def scale_boxes(boxes: np.ndarray, cam_shape: Tuple[int, int],
                image_shape: Tuple[int, int]) -> np.ndarray:
    """CAM-cell boxes -> image pixels (h, w shapes), clipped."""
    ch, cw = cam_shape
    ih, iw = image_shape
    out = boxes.astype(np.float32).copy()
    out[:, [0, 2]] = np.clip(out[:, [0, 2]] * (iw / cw), 0, iw)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]] * (ih / ch), 0, ih)
    return out
