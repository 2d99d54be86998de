# Copyright (c) mmcasp contributors. All rights reserved.
"""COCO RLE helpers."""
import numpy as np
import pycocotools.mask as mask_utils

__all__ = ['encode_rle']


def encode_rle(mask: np.ndarray) -> dict:
    """Binary mask (H, W) -> COCO RLE with ``counts`` as ``str``."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle
