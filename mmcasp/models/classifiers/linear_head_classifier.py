# Copyright (c) mmcasp contributors. All rights reserved.
"""Any backbone + global pooling + linear head, for CAMs from a user's
classifier checkpoint (mmpretrain/mmdet style)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmcasp.registry import MODELS

__all__ = ['LinearHeadClassifier']


@MODELS.register_module()
class LinearHeadClassifier(BaseModule):
    """``backbone`` (last output) -> global average pool -> ``fc``.

    Loads mmpretrain ``ImageClassifier`` checkpoints (``backbone.*``,
    ``head.fc.*``) through :meth:`load_mmpretrain_state_dict`.

    Args:
        backbone (dict): Backbone config (any registered backbone).
        in_channels (int): Channels of the backbone's last output.
        num_classes (int): Classes of the head.
        mean, std: RGB normalisation of 0-255 input.
    """

    def __init__(self,
                 backbone: dict,
                 in_channels: int,
                 num_classes: int,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.fc = nn.Linear(in_channels, num_classes)
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def normalize(self, images: Tensor) -> Tensor:
        """(N, 3, H, W) RGB 0-255 -> network input."""
        return (images - self.mean) / self.std

    def forward_features(self, inputs: Tensor) -> Tensor:
        """(N, 3, H, W) -> (N, C, h, w), the backbone's last output."""
        return self.backbone(inputs)[-1]

    def forward(self, inputs: Tensor) -> Tensor:
        """(N, 3, H, W) -> (N, num_classes) logits."""
        return self.fc(self.forward_features(inputs).mean((2, 3)))

    def cam_weights(self) -> Tuple[Tensor, Tensor]:
        return self.fc.weight, self.fc.bias

    def load_mmpretrain_state_dict(self, state: dict) -> None:
        """Load ``backbone.*`` and ``head.fc.*`` keys strictly."""
        mapped = {}
        for k, v in state.items():
            if k.startswith('backbone.'):
                mapped[k] = v
            elif k.startswith('head.fc.'):
                mapped['fc.' + k[len('head.fc.'):]] = v
        self.load_state_dict(mapped, strict=True)
