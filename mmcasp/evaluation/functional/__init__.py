# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic import collapse_coco_categories
from .paired import paired_difference
from .training_curve import curve_flattening, epoch_loss_curve

__all__ = [
    'collapse_coco_categories', 'paired_difference', 'epoch_loss_curve',
    'curve_flattening'
]
