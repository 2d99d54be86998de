# Copyright (c) mmcasp contributors. All rights reserved.
from .efficientnet_lite import (EfficientNetLite, convert_lite0_state_dict,
                                lite0_weights_path)

__all__ = [
    'EfficientNetLite', 'convert_lite0_state_dict', 'lite0_weights_path'
]
