# Copyright (c) mmcasp contributors. All rights reserved.
from .efficientnet_lite_classifier import EfficientNetLiteClassifier

__all__ = ['EfficientNetLiteClassifier']
