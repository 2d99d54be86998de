# Copyright (c) mmcasp contributors. All rights reserved.
"""COCO RLE helpers."""
from typing import List

import numpy as np
import pycocotools.mask as mask_utils

__all__ = ['encode_rle', 'mask_bbox_xywh']


def encode_rle(mask: np.ndarray) -> dict:
    """Binary mask (H, W) -> COCO RLE with ``counts`` as ``str``."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def mask_bbox_xywh(mask: np.ndarray) -> List[float]:
    """Tight COCO box ``[x, y, w, h]`` of a non-empty (H, W) binary mask."""
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    return [
        float(x0),
        float(y0),
        float(xs.max() + 1 - x0),
        float(ys.max() + 1 - y0)
    ]
