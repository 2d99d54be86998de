# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic import ClassAgnostic

__all__ = ['ClassAgnostic']
