# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic_condinst_head import ClassAgnosticCondInstBboxHead
from .contrastive_rpn_head import ContrastiveRPNHead

__all__ = ['ClassAgnosticCondInstBboxHead', 'ContrastiveRPNHead']
