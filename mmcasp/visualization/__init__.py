# Copyright (c) mmcasp contributors. All rights reserved.
from .pseudo_labels import (ScoreVisualizer, draw_pseudo_labels, label_caption,
                            select_labels, upscale_factor)

__all__ = [
    'ScoreVisualizer', 'select_labels', 'upscale_factor', 'label_caption',
    'draw_pseudo_labels'
]
