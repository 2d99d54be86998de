# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic_condinst_head import ClassAgnosticCondInstBboxHead

__all__ = ['ClassAgnosticCondInstBboxHead']
