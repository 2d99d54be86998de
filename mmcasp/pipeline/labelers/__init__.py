# Copyright (c) mmcasp contributors. All rights reserved.
"""The pipeline's pseudo labelers, registered in
:data:`mmcasp.registry.LABELERS`; see :class:`BaseLabeler` to write one."""
from .base import BaseLabeler, build_labeler, labeled_categories
from .cam_labeler import CamLabeler
from .checkpoint_labeler import CheckpointLabeler
from .detector_labeler import DetectorLabeler
from .no_labeler import NoLabeler

__all__ = [
    'BaseLabeler', 'labeled_categories', 'build_labeler', 'DetectorLabeler',
    'CheckpointLabeler', 'CamLabeler', 'NoLabeler'
]
