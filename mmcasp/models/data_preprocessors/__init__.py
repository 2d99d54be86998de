# Copyright (c) mmcasp contributors. All rights reserved.
from .two_view_data_preprocessor import TwoViewDataPreprocessor

__all__ = ['TwoViewDataPreprocessor']
