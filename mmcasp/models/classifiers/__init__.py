# Copyright (c) mmcasp contributors. All rights reserved.
from .efficientnet_lite_classifier import EfficientNetLiteClassifier
from .image_level_classifier import ImageLevelClassifier
from .linear_head_classifier import LinearHeadClassifier

__all__ = [
    'EfficientNetLiteClassifier', 'ImageLevelClassifier',
    'LinearHeadClassifier'
]
