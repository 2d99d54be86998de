# Copyright (c) mmcasp contributors. All rights reserved.
from .info_nce import info_nce

__all__ = ['info_nce']
