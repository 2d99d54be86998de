# Copyright (c) mmcasp contributors. All rights reserved.
"""Labeling images whose shape a model's pipeline cannot take.

A valid but extreme image (a 4 x 3000 px strip) makes a keep-ratio
``Resize`` to a small scale produce a side of 0 px, and OpenCV refuses it.
Such an image is still labeled: :func:`pad_to_aspect` pads it (bottom and
right, zeros, as mmdet's ``Pad`` does) to an aspect ratio the pipeline
can resize, the model labels the padded image, and
:func:`crop_instances` brings the labels back to the original image
(boxes clipped, masks cropped, labels left empty by the crop dropped).
Padding only at the bottom and right keeps every pixel's coordinates.
"""
from typing import List

import numpy as np
from pycocotools import mask as mask_util

__all__ = ['MAX_ASPECT', 'pad_to_aspect', 'crop_instances']

#: Longest side / shortest side after padding: a keep-ratio resize of the
#: long side to >= 16 px then leaves the short side >= 1 px.
MAX_ASPECT = 16


def pad_to_aspect(img: np.ndarray, max_aspect: float = MAX_ASPECT):
    """``img`` padded so that long side / short side <= ``max_aspect``.

    Returns the image itself when it is already within the ratio.
    """
    h, w = img.shape[:2]
    short = max(1, int(np.ceil(max(h, w) / max_aspect)))
    new_h, new_w = (max(h, short), w) if h < w else (h, max(w, short))
    if (new_h, new_w) == (h, w):
        return img
    out = np.zeros((new_h, new_w) + img.shape[2:], img.dtype)
    out[:h, :w] = img
    return out


def crop_instances(instances: List[dict], height: int,
                   width: int) -> List[dict]:
    """Labels of a bottom/right-padded image, restricted to its
    ``height`` x ``width`` top-left part.

    Args:
        instances: ``dict(bbox=[x, y, w, h], score, category_id[,
            segmentation (RLE), area])`` on the padded image.

    Returns:
        list: The instances with boxes clipped to the image and masks
        cropped (area recomputed); those left without area are dropped.
    """
    out = []
    for ins in instances:
        x, y, w, h = ins['bbox']
        x1, y1 = min(max(x, 0.), width), min(max(y, 0.), height)
        x2, y2 = min(max(x + w, 0.), width), min(max(y + h, 0.), height)
        if x2 <= x1 or y2 <= y1:
            continue
        ins = dict(ins, bbox=[x1, y1, x2 - x1, y2 - y1])
        if 'segmentation' in ins:
            mask = mask_util.decode(ins['segmentation'])[:height, :width]
            if not mask.any():
                continue
            rle = mask_util.encode(np.asfortranarray(mask))
            rle['counts'] = rle['counts'].decode()
            ins['segmentation'] = rle
            ins['area'] = float(mask_util.area(rle))
        elif 'area' in ins:
            ins['area'] = float((x2 - x1) * (y2 - y1))
        out.append(ins)
    return out
