# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic_condinst import ClassAgnosticCondInst

__all__ = ['ClassAgnosticCondInst']
