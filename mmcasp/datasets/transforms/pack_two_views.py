# Copyright (c) mmcasp contributors. All rights reserved.
"""Pack PreDet's two views and their queries for the model."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.structures import DetDataSample

from mmcasp.registry import TRANSFORMS

__all__ = ['PackTwoViewInputs']


@TRANSFORMS.register_module()
class PackTwoViewInputs(BaseTransform):
    """``views`` -> ``inputs`` (2, 3, h, w) uint8 tensor (BGR, as loaded);
    a :class:`DetDataSample` with fields ``query_boxes`` (2, Q, 4) float32
    (view 1, view 2; row q is the same query in both) and, when the dataset
    gives them, ``image_labels`` (K, ) float32 multi-hot; metainfo from
    ``meta_keys``."""

    def __init__(
        self,
        meta_keys=('img_id', 'img_path', 'ori_shape', 'view_crops',
                   'view_flips', 'query_index')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        views = np.ascontiguousarray(results['views'].transpose(0, 3, 1, 2))
        sample = DetDataSample()
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        sample.set_metainfo(dict(img_shape=results['views'].shape[1:3]))
        sample.query_boxes = torch.from_numpy(
            np.asarray(results['view_query_boxes'], dtype=np.float32))
        if results.get('image_labels') is not None:
            sample.image_labels = torch.from_numpy(
                np.asarray(results['image_labels'], dtype=np.float32))
        return dict(inputs=torch.from_numpy(views), data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
