# Copyright (c) mmcasp contributors. All rights reserved.
"""Batch and normalise PreDet's two views."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from mmcasp.registry import MODELS

__all__ = ['TwoViewDataPreprocessor']


@MODELS.register_module()
class TwoViewDataPreprocessor(BaseDataPreprocessor):
    """``inputs``: a list of (2, 3, h, w) uint8 BGR tensors (all views of a
    batch have one size) -> (B, 2, 3, h, w) float, RGB if ``bgr_to_rgb``,
    normalised with ``mean``/``std``; data samples moved to the device.
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 bgr_to_rgb: bool = True,
                 non_blocking: Optional[bool] = False) -> None:
        super().__init__(non_blocking)
        self.register_buffer('mean',
                             torch.tensor(mean).view(1, 1, 3, 1, 1), False)
        self.register_buffer('std',
                             torch.tensor(std).view(1, 1, 3, 1, 1), False)
        self.bgr_to_rgb = bgr_to_rgb

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        inputs = inputs.float()
        if self.bgr_to_rgb:
            inputs = inputs.flip(2)
        inputs = (inputs - self.mean) / self.std
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
