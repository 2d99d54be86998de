# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic import collapse_coco_categories

__all__ = ['collapse_coco_categories']
