# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic_condinst import ClassAgnosticCondInst
from .predet import PreDet

__all__ = ['ClassAgnosticCondInst', 'PreDet']
