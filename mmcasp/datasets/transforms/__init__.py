# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic import ClassAgnostic
from .edge_queries import EdgeQueries
from .pack_image_labels import PackImageLabels
from .pack_two_views import PackTwoViewInputs
from .two_views import TwoViews

__all__ = [
    'ClassAgnostic', 'EdgeQueries', 'PackImageLabels', 'PackTwoViewInputs',
    'TwoViews'
]
