# Copyright (c) mmcasp contributors. All rights reserved.
"""Log at least every few seconds, not only every N iterations."""
import time

from mmengine.hooks import LoggerHook

from mmcasp.registry import HOOKS

__all__ = ['TimedLoggerHook']


@HOOKS.register_module()
class TimedLoggerHook(LoggerHook):
    """mmengine's ``LoggerHook`` that also logs an iteration when
    ``max_seconds`` have passed since its last log line.

    A COCO config logs every 50 iterations; on a CPU, or a large model at a
    few seconds per iteration, that is minutes without a word. Differs from
    the parent only in :meth:`every_n_inner_iters`, which decides whether a
    train, val or test iteration is logged: also when the last log line is
    ``max_seconds`` old. What a line says (smoothed losses, ETA, time) is
    the parent's.

    Args:
        max_seconds: At most this long between two log lines (default 30).
        **kwargs: ``LoggerHook``'s (``interval``, ...).
    """

    def __init__(self, max_seconds: float = 30., **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_seconds = max_seconds
        self._last_log = time.monotonic()

    def every_n_inner_iters(self, batch_idx: int, n: int) -> bool:
        due = super().every_n_inner_iters(batch_idx, n) or \
            time.monotonic() - self._last_log >= self.max_seconds
        if due:
            self._last_log = time.monotonic()
        return due
