# Copyright (c) mmcasp contributors. All rights reserved.
from .backbones import (EfficientNetLite, convert_lite0_state_dict,
                        lite0_weights_path)
from .classifiers import (EfficientNetLiteClassifier, ImageLevelClassifier,
                          LinearHeadClassifier)
from .data_preprocessors import TwoViewDataPreprocessor
from .dense_heads import ClassAgnosticCondInstBboxHead, ContrastiveRPNHead
from .detectors import ClassAgnosticCondInst, PreDet
from .layers import query_conditioned_conv
from .losses import info_nce
from .roi_heads import ContrastiveRoIHead

__all__ = [
    'EfficientNetLite', 'convert_lite0_state_dict', 'lite0_weights_path',
    'EfficientNetLiteClassifier', 'ImageLevelClassifier',
    'LinearHeadClassifier', 'TwoViewDataPreprocessor',
    'ClassAgnosticCondInstBboxHead', 'ContrastiveRPNHead',
    'ClassAgnosticCondInst', 'PreDet', 'query_conditioned_conv', 'info_nce',
    'ContrastiveRoIHead'
]
