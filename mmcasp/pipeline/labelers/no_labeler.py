# Copyright (c) mmcasp contributors. All rights reserved.
"""No pseudo labels: the warmup pretrains on the images alone (PreDet)."""
from mmcasp.registry import LABELERS
from .base import BaseLabeler

__all__ = ['NoLabeler']


@LABELERS.register_module('none')
class NoLabeler(BaseLabeler):
    """Makes no labels; the warmup config must pretrain on images alone
    (e.g. ``configs/predet/predet_r18w16_fpn_toy-6e_toy.py``)."""
    method = 'pretrain'
    makes_labels = False
    makes_masks = False
    class_specific_ok = False
    entities_ok = False

    def describe(self, class_specific: bool) -> None:
        return None
