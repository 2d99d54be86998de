# Copyright (c) mmcasp contributors. All rights reserved.
from .cam_pseudo_label_hook import CamPseudoLabelHook
from .detector_pseudo_label_hook import DetectorPseudoLabelHook
from .last_val_metrics_hook import LastValMetricsHook
from .pseudo_label_hook import BasePseudoLabelHook
from .timed_logger_hook import TimedLoggerHook

__all__ = [
    'BasePseudoLabelHook', 'CamPseudoLabelHook', 'DetectorPseudoLabelHook',
    'LastValMetricsHook', 'TimedLoggerHook'
]
