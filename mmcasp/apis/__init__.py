# Copyright (c) mmcasp contributors. All rights reserved.
from .inference import load_detector

__all__ = ['load_detector']
