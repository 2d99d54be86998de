# Copyright (c) mmcasp contributors. All rights reserved.
"""Class-agnostic CondInst detector."""
import copy

from mmdet.models.detectors import CondInst
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

from mmcasp.registry import MODELS

__all__ = ['ClassAgnosticCondInst']


@MODELS.register_module()
class ClassAgnosticCondInst(CondInst):
    """CondInst that detects and segments one class, "object".

    The same model serves as CaSP's pseudo labeler and as the warmed-up
    target detector. Differs from :class:`mmdet.models.detectors.CondInst`
    only in construction: the box head defaults to
    :class:`~mmcasp.models.ClassAgnosticCondInstBboxHead` (a stock
    ``CondInstBboxHead`` config is switched to it) and ``num_classes`` is
    forced to 1, with an error if a config asks for more. Predictions have
    ``labels`` all 0 and ``scores`` = objectness (see the head).
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 bbox_head: ConfigType,
                 mask_head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        bbox_head = copy.deepcopy(bbox_head)
        if bbox_head.get('type') in (None, 'CondInstBboxHead',
                                     'mmdet.CondInstBboxHead'):
            bbox_head['type'] = 'mmcasp.ClassAgnosticCondInstBboxHead'
        if bbox_head.get('num_classes', 1) != 1:
            raise ValueError(
                'ClassAgnosticCondInst has one class; got bbox_head.'
                f"num_classes={bbox_head['num_classes']}")
        bbox_head['num_classes'] = 1
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=bbox_head,
            mask_head=mask_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
