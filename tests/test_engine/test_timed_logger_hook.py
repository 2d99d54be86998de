# Copyright (c) mmcasp contributors. All rights reserved.
"""The pipeline's logger hook writes a line at least every ``max_seconds``
as well as every ``interval`` iterations."""
import mmcasp.engine.hooks.timed_logger_hook as module
from mmcasp.engine.hooks import TimedLoggerHook
from mmcasp.pipeline.stage_configs import with_runtime
from mmcasp.utils import load_config
from tests._helpers import TINY_CONFIG


def test_logs_every_interval_and_when_the_last_line_is_old(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(module.time, 'monotonic', lambda: now[0])
    hook = TimedLoggerHook(interval=10, max_seconds=30.)
    due = []
    for i in range(25):  # 10 s per iteration
        now[0] += 10.
        due.append(hook.every_n_inner_iters(i, 10))
    # every 10th iteration (i = 9, 19), and whenever 30 s passed since
    # the last line (i = 2, 5, 8; 12, 15, 18; 22)
    assert [i for i, d in enumerate(due)
            if d] == [2, 5, 8, 9, 12, 15, 18, 19, 22]


def test_every_stage_logs_with_it(tmp_path):
    cfg = with_runtime(load_config(TINY_CONFIG), str(tmp_path), 'n', 0)
    logger = cfg.default_hooks.logger
    assert logger.type == 'mmcasp.TimedLoggerHook'
    assert logger.max_seconds == 30.
    assert logger.interval == load_config(
        TINY_CONFIG).default_hooks.logger.interval  # the config's kept
