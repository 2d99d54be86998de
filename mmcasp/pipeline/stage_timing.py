# Copyright (c) mmcasp contributors. All rights reserved.
"""Seconds per training iteration and per labeled image, measured by
running a few steps of a stage's own config on its own data (``tools/
casp.py --dry-run --time-iters N``): the dry run's time estimate. Nothing
is written and nothing is downloaded: the model keeps its random
initialisation (the time of a step does not depend on the weights, except
where a prediction count does: see :func:`seconds_per_image`)."""
import time
from typing import Iterator

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcasp.utils.build import build_model

__all__ = ['seconds_per_iteration', 'seconds_per_image']


def _device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def _loader(cfg: Config, key: str, seed: int) -> Iterator:
    from mmengine.runner import Runner
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmcasp')):
        return iter(Runner.build_dataloader(cfg[key], seed=seed))


def _model(cfg: Config) -> torch.nn.Module:
    from mmengine.model import revert_sync_batchnorm
    model = build_model(
        cfg.model, cfg.get('default_scope', 'mmcasp'), init_weights=False)
    return revert_sync_batchnorm(model).to(_device())


def _batches(loader: Iterator, warmup: int, timed: int) -> tuple:
    """``(warm-up batches, timed batches)`` from the first ``warmup +
    timed`` of ``loader``; a set with fewer batches times the ones it has
    again (the same batches take the same time)."""
    got = []
    for data in loader:
        got.append(data)
        if len(got) == warmup + timed:
            break
    if not got:
        raise ValueError('the data set is empty')
    rest = got[warmup:] or got
    return got[:warmup], (rest * timed)[:timed]


def seconds_per_iteration(cfg: Config,
                          iterations: int = 3,
                          warmup: int = 1,
                          seed: int = 0) -> float:
    """Mean wall seconds of one training iteration of ``cfg`` (a stage's
    Runner config) in this process: ``warmup`` iterations, then the mean
    of the next ``iterations``, each its forward, backward and optimizer
    step (``model.train_step``) at the config's batch size (the batches are
    loaded before the clock starts: a DataLoader's workers keep up with a
    forward-bound step).

    Raises:
        ValueError: the training set is empty.
    """
    from mmengine.optim import build_optim_wrapper
    model = _model(cfg).train()
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmcasp')):
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    warm, timed = _batches(
        _loader(cfg, 'train_dataloader', seed), warmup, iterations)
    for data in warm:
        model.train_step(data, optim)
    t0 = time.perf_counter()
    for data in timed:
        model.train_step(data, optim)
    return (time.perf_counter() - t0) / len(timed)


@torch.no_grad()
def seconds_per_image(cfg: Config,
                      images: int = 4,
                      batch_size: int = 1,
                      seed: int = 0) -> float:
    """Mean wall seconds to predict one image with ``cfg``'s model on its
    validation loader (``model.test_step`` at ``batch_size``, after one
    warm-up batch; the batches are loaded before the clock starts). An
    untrained model's prediction count differs from a trained one's, so
    the mask part of the time is a rough guide only.

    Raises:
        ValueError: the validation set is empty.
    """
    cfg = cfg.copy()
    cfg.val_dataloader.batch_size = batch_size
    model = _model(cfg).eval()
    warm, timed = _batches(
        _loader(cfg, 'val_dataloader', seed), 1,
        max(1, -(-images // batch_size)))
    for data in warm:
        model.test_step(data)
    done, t0 = 0, time.perf_counter()
    for data in timed:
        done += len(model.test_step(data))
    return (time.perf_counter() - t0) / done
