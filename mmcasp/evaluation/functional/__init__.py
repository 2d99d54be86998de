# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic import collapse_coco_categories
from .paired import paired_difference

__all__ = ['collapse_coco_categories', 'paired_difference']
