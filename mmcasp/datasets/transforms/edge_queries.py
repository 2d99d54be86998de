# Copyright (c) mmcasp contributors. All rights reserved.
"""PreDet's query boxes, computed when an image is loaded."""
import zlib

import numpy as np
from mmcv.transforms import BaseTransform

from mmcasp.registry import TRANSFORMS
from ..predet_views import edge_density_proposals

__all__ = ['EdgeQueries']


@TRANSFORMS.register_module()
class EdgeQueries(BaseTransform):
    """Add up to ``num`` unsupervised proposals of the loaded image, best
    first: the pool that :class:`~mmcasp.models.PreDet` draws its
    ``num_queries`` query boxes from in every iteration (``num`` is the
    pool size, 100 in the PreDet configs).

    See :func:`~mmcasp.datasets.predet_views.edge_density_proposals` (and
    its module docstring for why this replaces EdgeBoxes). With ``seed``
    set, an image gets the same pool in every epoch (seeded by its id), as
    precomputed EdgeBoxes would be; ``seed=None`` samples anew each time.

    Required keys: ``img`` (H, W, 3) uint8. Added keys: ``query_boxes``
    (Q, 4) float32 xyxy in image pixels.
    """

    def __init__(self,
                 num: int = 16,
                 num_candidates: int = 1000,
                 min_size: float = 0.1,
                 max_size: float = 0.9,
                 nms_iou: float = 0.5,
                 seed: int = 0) -> None:
        self.num = num
        self.num_candidates = num_candidates
        self.min_size = min_size
        self.max_size = max_size
        self.nms_iou = nms_iou
        self.seed = seed

    def transform(self, results: dict) -> dict:
        rng = None
        if self.seed is not None:
            key = results.get('img_id', results.get('img_path', 0))
            rng = np.random.default_rng(
                [self.seed, zlib.crc32(str(key).encode())])
        results['query_boxes'] = edge_density_proposals(
            results['img'],
            num=self.num,
            num_candidates=self.num_candidates,
            min_size=self.min_size,
            max_size=self.max_size,
            nms_iou=self.nms_iou,
            rng=rng)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num={self.num}, '
                f'num_candidates={self.num_candidates}, seed={self.seed})')
