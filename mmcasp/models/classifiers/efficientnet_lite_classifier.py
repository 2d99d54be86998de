# Copyright (c) mmcasp contributors. All rights reserved.
"""EfficientNet-Lite0 ImageNet classifier (for CAM pseudo labels)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmcasp.registry import MODELS
from mmcasp.utils.checkpoint import safe_torch_load
from ..backbones.efficientnet_lite import (EfficientNetLite,
                                           convert_lite0_state_dict,
                                           lite0_weights_path)

__all__ = ['EfficientNetLiteClassifier']

#: Input normalisation of the packaged weights (RGB, 0-255 input).
LITE_MEAN = (127.0, 127.0, 127.0)
LITE_STD = (128.0, 128.0, 128.0)


@MODELS.register_module()
class EfficientNetLiteClassifier(BaseModule):
    """EfficientNet-Lite0 backbone + global average pooling + linear head.

    With ``pretrained='imagenet'`` both the backbone and the 1000-class head
    hold the packaged ImageNet weights as soon as the module is built (no
    ``init_weights()`` call needed). :meth:`forward` gives logits;
    :meth:`forward_features` the last feature map and the head's weights,
    which is what class activation maps need.

    Args:
        num_classes (int): Classes of the head; the ImageNet head is loaded
            only when this is 1000.
        pretrained (str, optional): ``'imagenet'`` or ``None``.
        dropout (float): Dropout before the head (training only).
    """

    def __init__(self,
                 num_classes: int = 1000,
                 pretrained: Optional[str] = 'imagenet',
                 dropout: float = 0.2,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.pretrained = pretrained
        self.backbone = EfficientNetLite(
            pretrained=pretrained, out_indices=(6, ))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1280, num_classes)
        self.register_buffer(
            'mean', torch.tensor(LITE_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(LITE_STD).view(1, 3, 1, 1), persistent=False)

        if pretrained == 'imagenet':
            self.load_imagenet_weights()

    def load_imagenet_weights(self) -> None:
        """Backbone and (for 1000 classes) head from the packaged file."""
        self.backbone.load_imagenet_weights()
        if self.fc.out_features == 1000:
            _, head = convert_lite0_state_dict(
                safe_torch_load(lite0_weights_path(), 'cpu'))
            self.fc.load_state_dict({
                k.split('.', 1)[1]: v
                for k, v in head.items()
            })
        self._is_init = True  # nothing left for init_weights() to do

    def normalize(self, images: Tensor) -> Tensor:
        """(N, 3, H, W) RGB 0-255 float -> network input."""
        return (images - self.mean) / self.std

    def forward_features(self, inputs: Tensor) -> Tensor:
        """(N, 3, H, W) normalised input -> (N, 1280, H/32, W/32)."""
        return self.backbone(inputs)[0]

    def forward(self, inputs: Tensor) -> Tensor:
        """(N, 3, H, W) normalised input -> (N, num_classes) logits."""
        feats = self.forward_features(inputs)
        pooled = feats.mean(dim=(2, 3))
        return self.fc(self.dropout(pooled))

    def cam_weights(self) -> Tuple[Tensor, Tensor]:
        """Head weight (num_classes, 1280) and bias (num_classes, )."""
        return self.fc.weight, self.fc.bias
