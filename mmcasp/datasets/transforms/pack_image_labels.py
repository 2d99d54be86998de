# Copyright (c) mmcasp contributors. All rights reserved.
"""Pack one image and its image-level labels (classifier training)."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.structures import DetDataSample

from mmcasp.registry import TRANSFORMS

__all__ = ['PackImageLabels']


@TRANSFORMS.register_module()
class PackImageLabels(BaseTransform):
    """``img`` -> ``inputs`` (3, h, w) uint8 tensor (BGR, as loaded); a
    :class:`DetDataSample` with ``image_labels`` (K, ) float32 multi-hot
    when the dataset gives them (``ImageDataset(with_labels=True)``), and
    metainfo from ``meta_keys`` (those present) plus ``img_shape``.

    Used by :class:`~mmcasp.models.ImageLevelClassifier`'s configs.
    """

    def __init__(
        self,
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'flip', 'flip_direction')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = DetDataSample()
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        sample.set_metainfo(dict(img_shape=img.shape[:2]))
        if results.get('image_labels') is not None:
            sample.image_labels = torch.from_numpy(
                np.asarray(results['image_labels'], dtype=np.float32))
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
