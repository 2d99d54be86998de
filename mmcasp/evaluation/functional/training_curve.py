# Copyright (c) mmcasp contributors. All rights reserved.
"""Per-epoch training loss of a finished (or killed) mmengine run.

A benchmark that claims a model is "trained" should show that its loss has
flattened. mmengine's ``LoggerHook`` writes every logged iteration to
``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON object per
line, every ``default_hooks.logger.interval`` iterations); a resumed run
adds another timestamp folder. The logged ``loss`` is mmengine's running
mean over the config's ``log_processor.window_size`` iterations (50 in
our default runtime), so a per-epoch mean of it is smoothed over the
window: with 25 iterations per epoch, each epoch's value also averages
the epoch before. It is what mmdet's ``analyze_logs.py`` plots too.
"""
import glob
import json
import os.path as osp
import statistics
from typing import Dict, Optional

__all__ = ['epoch_loss_curve', 'curve_flattening']


def epoch_loss_curve(work_dir: str, key: str = 'loss') -> Dict[int, float]:
    """``{epoch: mean of the logged key}`` over every ``scalars.json``
    under ``work_dir`` (all timestamps; a resumed run's later lines
    replace an earlier run's lines of the same iteration).

    Returns an empty dict when the run logged nothing (e.g. never trained).
    """
    by_step = {}
    paths = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                rec = json.loads(line)
                if key in rec and 'epoch' in rec and 'step' in rec:
                    by_step[rec['step']] = (rec['epoch'], rec[key])
    per_epoch = {}
    for epoch, value in by_step.values():
        per_epoch.setdefault(epoch, []).append(value)
    return {e: statistics.mean(v) for e, v in sorted(per_epoch.items())}


def curve_flattening(curve: Dict[int, float],
                     last: int = 5) -> Optional[float]:
    """Relative change of the loss over the last ``last`` epochs,
    ``(loss[-1] - loss[-1 - last]) / loss[-1 - last]``: about 0 for a
    flattened curve, clearly negative while it still falls. ``None`` when
    the curve is shorter than ``last + 1`` epochs, or its
    value ``last`` epochs before the end is 0."""
    values = [curve[e] for e in sorted(curve)]
    if len(values) <= last or values[-1 - last] == 0:
        return None
    before = values[-1 - last]
    return (values[-1] - before) / before
