# Copyright (c) mmcasp contributors. All rights reserved.
from .info_nce import info_nce
from .khot_softmax import khot_softmax_cross_entropy

__all__ = ['info_nce', 'khot_softmax_cross_entropy']
