# Copyright (c) mmcasp contributors. All rights reserved.
"""Seconds per training iteration and per labeled image, measured by
running a few steps of a stage's own config on its own data (``tools/
casp.py --dry-run --time-iters N``): the dry run's time estimate. Nothing
is written to the run's folders (labels go to a temporary folder) and
nothing is downloaded: the model keeps its random initialisation (the
time of a step does not depend on the weights, except where a prediction
count does: see :func:`seconds_per_image`)."""
import copy
import io
import os.path as osp
import tempfile
import time
from dataclasses import dataclass
from typing import Sequence

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcasp.pseudo_labels.labeling_settings import LabelingSettings
from mmcasp.utils.build import build_model
from mmcasp.utils.dataloader_workers import shut_down_workers

__all__ = [
    'TrainingTime', 'time_training', 'seconds_per_image',
    'seconds_per_labeled_image'
]


def _device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def _now() -> float:
    """``time.perf_counter()`` once the GPU's queued work is done (a
    training step returns before its kernels finish)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter()


def _loader(cfg: Config, key: str, seed: int):
    from mmengine.runner import Runner
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmcasp')):
        return Runner.build_dataloader(cfg[key], seed=seed)


def _model(cfg: Config) -> torch.nn.Module:
    from mmengine.model import revert_sync_batchnorm
    model = build_model(
        cfg.model, cfg.get('default_scope', 'mmcasp'), init_weights=False)
    return revert_sync_batchnorm(model).to(_device())


def _batches(loader, warmup: int, timed: int) -> tuple:
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


@dataclass
class TrainingTime:
    """What one epoch of a training stage costs, measured.

    Attributes:
        iteration: Seconds per training iteration: loading the batch (the
            DataLoader's workers, as in training), forward, backward and
            optimizer step (``model.train_step``).
        epoch_start: Seconds from an epoch's start to its first batch (the
            DataLoader's workers starting); 0 with ``persistent_workers``,
            whose workers start once.
        checkpoint: Seconds to serialise the model's and the optimizer's
            state, as a checkpoint holds them (in memory: the disk write
            is not counted).
    """
    iteration: float
    epoch_start: float
    checkpoint: float

    def total(self, iterations_per_epoch: int, epochs: int,
              checkpoints: int) -> float:
        """Seconds of ``epochs`` epochs of training steps with
        ``checkpoints`` checkpoints saved."""
        steps = self.epoch_start + iterations_per_epoch * self.iteration
        return epochs * steps + checkpoints * self.checkpoint


def time_training(cfg: Config,
                  iterations: int = 3,
                  warmup: int = 1,
                  seed: int = 0) -> TrainingTime:
    """Time the training of ``cfg`` (a stage's Runner config) in this
    process: the first batch's arrival (the epoch start), ``warmup``
    iterations, then the mean of the next ``iterations`` at the config's
    batch size. A set with fewer batches trains its last batch again for
    the rest (without loading it again).

    Raises:
        ValueError: the training set is empty.
    """
    from mmengine.optim import build_optim_wrapper
    model = _model(cfg).train()
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmcasp')):
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = _loader(cfg, 'train_dataloader', seed)
    try:
        t0 = _now()
        batches = iter(loader)
        last = next(batches, None)
        start = _now() - t0
        if last is None:
            raise ValueError('the training set is empty')
        model.train_step(last, optim)
        for _ in range(warmup - 1):
            last = next(batches, last)
            model.train_step(last, optim)
        done, t0 = 0, _now()
        for data in batches:
            model.train_step(data, optim)
            last, done = data, done + 1
            if done == iterations:
                break
        spent = _now() - t0
        for _ in range(iterations - done):
            t1 = _now()
            model.train_step(last, optim)
            spent += _now() - t1
        t0 = _now()
        torch.save(
            dict(state_dict=model.state_dict(), optimizer=optim.state_dict()),
            io.BytesIO())
        checkpoint = _now() - t0
        persistent = loader.num_workers > 0 and loader.persistent_workers
        return TrainingTime(spent / iterations, 0.0 if persistent else start,
                            checkpoint)
    finally:
        shut_down_workers(loader)  # persistent workers: now, not at gc


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
    cfg = copy.deepcopy(cfg)
    cfg.val_dataloader.batch_size = batch_size
    model = _model(cfg).eval()
    loader = _loader(cfg, 'val_dataloader', seed)
    try:
        warm, timed = _batches(
            iter(loader), 1, max(1, -(-images // batch_size)))
    finally:
        shut_down_workers(loader)
    for data in warm:
        model.test_step(data)
    done, t0 = 0, _now()
    for data in timed:
        done += len(model.test_step(data))
    return (_now() - t0) / done


def seconds_per_labeled_image(cfg: Config,
                              settings: LabelingSettings,
                              entries: Sequence[dict],
                              image_root: str,
                              batches: int = 1) -> float:
    """Mean wall seconds per image of the pseudo stage's own labeling:
    :func:`~mmcasp.pseudo_labels.label_images` with a
    :class:`~mmcasp.pseudo_labels.DetectorPredictor` of ``cfg``'s
    (untrained) model and ``settings`` (the pipeline's
    :class:`~mmcasp.pseudo_labels.LabelingSettings`: batch size, DataLoader
    workers, flip TTA, the CPU's one-image-per-thread workers), timed on
    up to ``batches`` whole batches of ``entries`` after one warm-up batch,
    into a temporary folder; a batch is the loop's (rounded up to a
    multiple of the predictor's CPU workers). With fewer than two batches
    of images the warm-up batch is labeled again. The time includes
    decoding in the loop's DataLoader workers and their start (once, so a
    labeler faster than their start is overstated); an untrained model's
    prediction count differs from a trained one's, so the mask part of
    the time is a rough guide only.

    Args:
        entries, image_root: As :func:`~mmcasp.datasets.collect_images`
            returns them (the images the stage labels).

    Raises:
        ValueError: ``entries`` is empty.
    """
    from mmcasp.pseudo_labels import build_detector_predictor, label_images
    if not len(entries):
        raise ValueError('no images to label')
    predictor = build_detector_predictor(
        cfg, model=_model(cfg).eval(), settings=settings)
    multiple = predictor.batch_multiple
    bs = -(-settings.batch_size // multiple) * multiple
    whole = min(batches, (len(entries) - bs) // bs)
    timed = list(entries[bs:bs + whole * bs]) if whole > 0 else \
        list(entries[:bs])
    with tempfile.TemporaryDirectory() as tmp:
        for name, part in (('warm', entries[:bs]), ('timed', timed)):
            t0 = _now()
            label_images(
                predictor,
                part,
                osp.join(tmp, f'{name}.json'),
                image_root,
                show_progress=False,
                **settings.loop_kwargs())
            seconds = _now() - t0
    return seconds / len(timed)
