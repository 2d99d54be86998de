# Copyright (c) mmcasp contributors. All rights reserved.
"""Build the classifier of DAP's CAM labeler."""
from typing import Optional

import torch
from mmengine.registry import DefaultScope

__all__ = ['build_cam_classifier']

#: What :class:`~mmcasp.pseudo_labels.CamPredictor` calls on a classifier.
CAM_INTERFACE = ('normalize', 'forward_features', 'cam_weights')


def build_cam_classifier(config: Optional[str] = None,
                         checkpoint: Optional[str] = None) -> torch.nn.Module:
    """The classifier whose class activation maps DAP turns into boxes.

    Args:
        config: A config file defining ``classifier = dict(type=...)`` (e.g.
            ``LinearHeadClassifier``), or an mmengine training config whose
            ``model`` is a classifier with the CAM interface (``normalize``,
            ``forward_features``, ``cam_weights``), e.g.
            :class:`~mmcasp.models.ImageLevelClassifier` (DAP Step 1,
            ``configs/classifier/``). ``None``: EfficientNet-Lite0 with its
            packaged ImageNet weights (nothing is downloaded).
        checkpoint: Weights of that classifier: an mmpretrain checkpoint
            (converted by the model's ``load_mmpretrain_state_dict``), a
            Runner checkpoint (its ``state_dict``) or a plain state dict;
            loaded strictly with mmcasp's safe loader.

    Returns:
        The classifier in eval mode, on the CPU.

    Raises:
        InputFileError: a checkpoint without its config, a config that
            cannot be read or defines no CAM classifier.
    """
    from mmcasp.models import EfficientNetLiteClassifier
    from mmcasp.registry import MODELS
    from mmcasp.utils import (InputFileError, load_config,
                              register_all_modules, safe_torch_load)
    if config is None:
        if checkpoint is not None:
            raise InputFileError(
                f'the classifier checkpoint {checkpoint} needs its config: '
                'give the config it was trained with (a training config '
                'such as configs/classifier/*.py, or one defining '
                '`classifier = dict(type=...)`)')
        return EfficientNetLiteClassifier().eval()
    cfg = load_config(config)
    if 'classifier' in cfg:
        model_cfg = cfg.classifier
    elif isinstance(cfg.get('model'), dict):
        model_cfg = cfg.model
    else:
        raise InputFileError(
            f'{config} defines no `classifier = dict(type=...)` and no '
            'classifier `model = dict(type=...)`')
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        model = MODELS.build(model_cfg)
    missing = [name for name in CAM_INTERFACE if not hasattr(model, name)]
    if missing:
        raise InputFileError(
            f'{config}: {type(model).__name__} is no CAM classifier (it '
            f'lacks {", ".join(missing)}); use e.g. ImageLevelClassifier or '
            'LinearHeadClassifier')
    if checkpoint:
        state = safe_torch_load(checkpoint, 'cpu')
        state = state.get('state_dict', state)
        if hasattr(model, 'load_mmpretrain_state_dict'):
            model.load_mmpretrain_state_dict(state)
        else:
            model.load_state_dict(state, strict=True)
    return model.eval()
