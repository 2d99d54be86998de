# Copyright (c) mmcasp contributors. All rights reserved.
"""DAP Step 1: a classifier trained on image-level labels by mmengine's
Runner, whose class activation maps the CAM labeler turns into boxes."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel, ImgDataPreprocessor
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmcasp.registry import MODELS
from ..losses import khot_softmax_cross_entropy

__all__ = ['ImageLevelClassifier']

#: ``loss`` choices of :class:`ImageLevelClassifier`.
IMAGE_LEVEL_LOSSES = ('khot_softmax', 'bce')

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@MODELS.register_module()
class ImageLevelClassifier(BaseModel):
    """``backbone`` (last output) -> global average pool -> ``fc``, trained
    on images with image-level (multi-hot) labels: DAP's Step 1 (Sec. 3.1,
    "a CNN classifier ... trained with cross-entropy loss on the image and
    image-level label pairs").

    A Runner model (``forward(inputs, data_samples, mode)``, a data
    preprocessor, a loss), unlike
    :class:`~mmcasp.models.LinearHeadClassifier`, a plain module that only
    wraps a checkpoint trained elsewhere (mmpretrain) for CAMs. Both expose
    the CAM interface :class:`~mmcasp.pseudo_labels.CamPredictor` takes
    (:meth:`normalize`, :meth:`forward_features`, :meth:`cam_weights`), and
    both name their parameters ``backbone.*`` and ``fc.*``, so a Runner
    checkpoint of this model loads with
    :func:`~mmcasp.pseudo_labels.build_cam_classifier` (config + checkpoint)
    and its backbone transfers to a detector.

    Data: :class:`~mmcasp.datasets.ImageDataset` ``(with_labels=True)`` and
    :class:`~mmcasp.datasets.transforms.PackImageLabels` (``image_labels``
    (K, ) multi-hot per data sample). Images whose vector is all zero are
    unlabeled and left out of the loss (both choices).

    Args:
        backbone: Backbone config (any registered backbone); its last output
            is pooled.
        in_channels: Channels of the backbone's last output.
        num_classes: Classes (K).
        loss: ``'khot_softmax'`` (default: the multi-label softmax
            cross-entropy with k-hot targets,
            :func:`~mmcasp.models.losses.khot_softmax_cross_entropy`) or
            ``'bce'`` (per-class sigmoid binary cross-entropy, averaged over
            the labeled images and classes).
        loss_weight: Factor of the loss.
        data_preprocessor: An ``ImgDataPreprocessor`` config (or a subclass,
            e.g. mmdet's ``DetDataPreprocessor``); default ImageNet mean/std
            in RGB and ``bgr_to_rgb=True`` (images are loaded BGR).
        init_cfg: Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 in_channels: int,
                 num_classes: int,
                 loss: str = 'khot_softmax',
                 loss_weight: float = 1.0,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if loss not in IMAGE_LEVEL_LOSSES:
            raise ValueError(f'loss must be one of {IMAGE_LEVEL_LOSSES}, got '
                             f'{loss!r}')
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='ImgDataPreprocessor',
                mean=IMAGENET_MEAN,
                std=IMAGENET_STD,
                bgr_to_rgb=True)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(self.data_preprocessor, ImgDataPreprocessor):
            raise TypeError('ImageLevelClassifier needs an '
                            'ImgDataPreprocessor (or subclass), got '
                            f'{type(self.data_preprocessor).__name__}')
        self.backbone = MODELS.build(backbone)
        self.fc = nn.Linear(in_channels, num_classes)
        self.num_classes = num_classes
        self.loss_type = loss
        self.loss_weight = loss_weight

    # ---- the CAM interface (CamPredictor) -------------------------------
    def normalize(self, images: Tensor) -> Tensor:
        """(N, 3, H, W) RGB 0-255 -> network input: what the data
        preprocessor makes of the same image loaded BGR (channel order,
        mean/std), without its padding."""
        pre = self.data_preprocessor
        # with a channel conversion the network sees RGB, without it BGR
        if not pre._channel_conversion:
            images = images.flip(1)
        images = images.float()
        if pre._enable_normalize:
            images = (images - pre.mean) / pre.std
        return images

    def forward_features(self, inputs: Tensor) -> Tensor:
        """(N, 3, H, W) network input -> (N, C, h, w), the backbone's last
        output."""
        return self.backbone(inputs)[-1]

    def cam_weights(self) -> Tuple[Tensor, Tensor]:
        """``(weight (K, C), bias (K, ))`` of the linear head."""
        return self.fc.weight, self.fc.bias

    # ---- Runner interface -----------------------------------------------
    def extract_feat(self, inputs: Tensor) -> Tensor:
        """(N, 3, H, W) -> (N, C) pooled features."""
        return self.forward_features(inputs).mean((2, 3))

    def forward(
        self,
        inputs: Tensor,
        data_samples: Optional[List[BaseDataElement]] = None,
        mode: str = 'tensor'
    ) -> Union[Tensor, Dict[str, Tensor], List[BaseDataElement]]:
        """``'tensor'``: (N, K) logits; ``'loss'``: ``dict(loss_cls=...)``
        from the data samples' ``image_labels``; ``'predict'``: the data
        samples (new ones if ``None``) with ``pred_score`` (K, ), the class
        probabilities (softmax; sigmoid for ``loss='bce'``), and
        ``pred_label``, the most probable class."""
        logits = self.fc(self.extract_feat(inputs))
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return dict(loss_cls=self.loss(logits, data_samples))
        if mode == 'predict':
            return self.predict(logits, data_samples)
        raise RuntimeError(f'Invalid mode {mode!r}: use "tensor", "loss" or '
                           '"predict"')

    def loss(self, logits: Tensor,
             data_samples: Sequence[BaseDataElement]) -> Tensor:
        """The loss of (N, K) logits against the samples' labels."""
        if not data_samples or any('image_labels' not in s
                                   for s in data_samples):
            raise ValueError(
                'the loss needs data samples with image_labels: use '
                'ImageDataset(with_labels=True) and PackImageLabels')
        labels = torch.stack([s.image_labels for s in data_samples]).to(logits)
        if self.loss_type == 'khot_softmax':
            loss = khot_softmax_cross_entropy(logits, labels)
        else:
            has = labels.sum(1) > 0
            if bool(has.any()):
                loss = F.binary_cross_entropy_with_logits(
                    logits[has], labels[has])
            else:
                loss = logits.sum() * 0.
        return loss * self.loss_weight

    def predict(
        self,
        logits: Tensor,
        data_samples: Optional[List[BaseDataElement]] = None
    ) -> List[BaseDataElement]:
        """Write ``pred_score`` and ``pred_label`` into the data samples."""
        if self.loss_type == 'bce':
            probs = logits.sigmoid()
        else:
            probs = logits.softmax(-1)
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(len(logits))]
        for sample, p in zip(data_samples, probs):
            sample.pred_score = p
            sample.pred_label = p.argmax()
        return data_samples
