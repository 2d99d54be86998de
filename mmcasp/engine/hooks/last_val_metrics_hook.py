# Copyright (c) mmcasp contributors. All rights reserved.
"""Remember the latest validation's metrics (and after which epoch)."""
from typing import Dict, Optional

from mmengine.hooks import Hook

from mmcasp.registry import HOOKS

__all__ = ['LastValMetricsHook']


@HOOKS.register_module()
class LastValMetricsHook(Hook):
    """Keep the metrics of the latest validation pass.

    A pipeline stage validates once at the end of training and then wants
    the same numbers for its record; with this hook it can read them
    (``metrics``, ``epoch``: the training epochs done when they were
    computed) instead of scoring the same split a second time with
    ``runner.test()``. ``epoch`` is ``None`` until a validation ran (e.g.
    a resumed run that had already finished training).
    """
    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.metrics: Optional[Dict[str, float]] = None
        self.epoch: Optional[int] = None

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        self.metrics = dict(metrics or {})
        self.epoch = runner.epoch
