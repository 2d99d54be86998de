# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic_coco_metric import ClassAgnosticCocoMetric

__all__ = ['ClassAgnosticCocoMetric']
