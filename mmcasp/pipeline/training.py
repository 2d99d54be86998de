# Copyright (c) mmcasp contributors. All rights reserved.
"""Train one stage's Runner config and make its record."""
import copy
import os.path as osp
import time

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmcasp.datasets import DatasetCheckError, check_datasets
from mmcasp.datasets.mask_loading import rle_mask_problems
from mmcasp.engine.hooks import LastValMetricsHook
from mmcasp.utils import apply_offline, shut_down_runner_workers
from .errors import PipelineError
from .stage_configs import validates_on_test_split, with_resume_point

__all__ = ['train_stage']


def train_stage(stage: str, cfg: Config) -> dict:
    """Train (or resume) ``cfg``, test it if it has a test loop, and return
    the stage's record (not yet written): its last checkpoint, the dumped
    config, the metrics and the wall time.

    Before the Runner is built, the stage's data is checked (its masks
    reach the loss, its annotation files exist, its training set keeps an
    image): a :class:`PipelineError` names what to fix. Its initial
    weights are logged and recorded (``initial_weights``), after the
    offline switch (``MMCASP_OFFLINE=1``) replaced what would be
    downloaded by random init (:func:`~mmcasp.utils.apply_offline`). When
    the
    training's last validation ran after the final epoch on the test
    loop's data and evaluators, its metrics are the test's: the split is
    not scored twice.
    """
    t0 = time.time()
    problems = rle_mask_problems(cfg)
    if problems:
        raise PipelineError(f'{stage}.config: ' + '\n'.join(problems))
    try:  # e.g. pseudo labels that all fall to filter_cfg
        check_datasets(
            cfg,
            loaders=('train_dataloader', 'val_dataloader'),
            evaluators=('val_evaluator', ),
            train_loaders=('train_dataloader', ))
    except DatasetCheckError as e:
        raise PipelineError(f'{stage}: {e}') from None
    cfg = copy.deepcopy(cfg)
    init = apply_offline(cfg)  # in place, on this copy
    print_log(
        init.format(f'[casp] {stage}: initial weights'), logger='current')
    runner = Runner.from_cfg(with_resume_point(cfg))
    last_val = LastValMetricsHook()
    runner.register_hook(last_val)
    try:
        runner.train()
        metrics = {}
        if (last_val.epoch is not None
                and last_val.epoch == cfg.train_cfg.get('max_epochs')
                and validates_on_test_split(cfg)):
            metrics = last_val.metrics  # the evaluator broadcast them
        elif cfg.get('test_dataloader') is not None:
            metrics = runner.test()  # computed on rank 0, broadcast to all
    finally:
        shut_down_runner_workers(runner)  # now, not in a later stage's gc
    return dict(
        checkpoint=osp.join(cfg.work_dir,
                            f'epoch_{cfg.train_cfg.max_epochs}.pth'),
        config=osp.join(cfg.work_dir, osp.basename(cfg.filename)),
        metrics={
            k: float(v)
            for k, v in metrics.items()
        },
        initial_weights=init.to_dict(),
        wall_s=round(time.time() - t0, 1))
