# Copyright (c) mmcasp contributors. All rights reserved.
from .contrastive_roi_head import ContrastiveRoIHead

__all__ = ['ContrastiveRoIHead']
