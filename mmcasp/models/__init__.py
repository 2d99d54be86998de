# Copyright (c) mmcasp contributors. All rights reserved.
from .backbones import (EfficientNetLite, convert_lite0_state_dict,
                        lite0_weights_path)
from .classifiers import EfficientNetLiteClassifier, LinearHeadClassifier
from .dense_heads import ClassAgnosticCondInstBboxHead
from .detectors import ClassAgnosticCondInst

__all__ = [
    'EfficientNetLite', 'convert_lite0_state_dict', 'lite0_weights_path',
    'EfficientNetLiteClassifier', 'LinearHeadClassifier',
    'ClassAgnosticCondInstBboxHead', 'ClassAgnosticCondInst'
]
