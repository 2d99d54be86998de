# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic_coco import ClassAgnosticCocoDataset
from .toy import (TOY_STUFF_CLASSES, TOY_THING_CLASSES, make_toy_dataset,
                  render_toy_image)
from .transforms import *  # noqa: F401,F403

__all__ = [
    'ClassAgnosticCocoDataset', 'TOY_THING_CLASSES', 'TOY_STUFF_CLASSES',
    'make_toy_dataset', 'render_toy_image'
]
