# Copyright (c) mmcasp contributors. All rights reserved.
"""Stop points for the tests that kill or cancel a run midway.

A test that kills a run "after its first checkpoint" by polling the run's
files races the wall clock: on a fast machine (a GPU, the tools' default)
the run may write several checkpoints, or finish, between two polls, and
on a loaded one the test may look too late. Here the run stops itself
right after the event the test waits for: a hook or a transform below,
named in the run's config and registered by its ``custom_imports``
(:data:`IMPORTS`; the process needs this repository on its PYTHONPATH, see
:func:`stop_env`), writes the file named by ``$MMCASP_TEST_STOP_FILE`` and
sends its own process SIGSTOP. The test waits for that file
(:func:`wait_for_stop`), then kills the stopped process: the kill always
lands between the event and the end of the run, on any machine.

Without the variable the hook and the transform do nothing, so the run
that resumes can use the same config (a pipeline stage's settings must not
change between the killed run and the one that resumes it).

This module is imported by the runs (through ``custom_imports``): it must
not import pytest.
"""
import os
import os.path as osp
import signal
import time
from typing import Callable, Optional

import torch.utils.data
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS, TRANSFORMS

from mmcasp.pseudo_labels import read_records
from tests._helpers import REPO_ROOT, TINY_CONFIG, pythonpath, subprocess_env

STOP_FILE_ENV = 'MMCASP_TEST_STOP_FILE'
#: a config's ``custom_imports`` that registers the stop points
IMPORTS = dict(imports=['tests._stop_points'], allow_failed_imports=False)


def stop_here(event: str) -> None:
    """If ``$MMCASP_TEST_STOP_FILE`` is set: write ``event`` to that file
    (rank 0 only, atomically) and stop this process (SIGSTOP; every rank
    that gets here stops)."""
    path = os.environ.get(STOP_FILE_ENV)
    if not path:
        return
    if get_rank() == 0:
        with open(path + '.tmp', 'w') as f:
            f.write(event + '\n')
        os.replace(path + '.tmp', path)
    os.kill(os.getpid(), signal.SIGSTOP)


@HOOKS.register_module(force=True)
class StopAfterCheckpointHook(Hook):
    """Stop the run once the checkpoint of epoch ``epoch`` (1-based) is
    complete: after mmengine's ``CheckpointHook`` (priority VERY_LOW; this
    one LOWEST) saved ``epoch_<epoch>.pth`` and named it in
    ``last_checkpoint``. A run that resumes from a later epoch does not get
    here again."""
    priority = 'LOWEST'

    def __init__(self, epoch: int = 1) -> None:
        self.epoch = epoch

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch:  # runner.epoch: 0-based, here
            stop_here(f'checkpoint of epoch {self.epoch} saved')


@TRANSFORMS.register_module(force=True)
class StopAfterRecords(BaseTransform):
    """A pass-through step of a labeler's test pipeline that stops the
    labeling process once the shard file ``shard`` holds at least
    ``records`` records. The labeling loop prepares an image of a later
    batch only after it recorded the earlier batches, so the stop comes
    right after the event; it needs the images prepared in the labeling
    process itself (``--num-workers 0``)."""

    def __init__(self, shard: str, records: int) -> None:
        self.shard = shard
        self.records = records

    def transform(self, results: dict) -> dict:
        if not os.environ.get(STOP_FILE_ENV) or not osp.exists(self.shard):
            return results
        if torch.utils.data.get_worker_info() is not None:
            raise RuntimeError('StopAfterRecords runs in the labeling '
                               'process: use --num-workers 0')
        if len(read_records(self.shard)) >= self.records:
            stop_here(f'{self.records} records in {self.shard}')
        return results


def importable_env(**extra) -> dict:
    """:func:`~tests._helpers.subprocess_env` with this repository first on
    PYTHONPATH, so that a config's ``custom_imports`` finds ``tests.*``."""
    return subprocess_env(**{'PYTHONPATH': pythonpath(REPO_ROOT), **extra})


def stop_env(stop_file: str, **extra) -> dict:
    """:func:`importable_env` of a run that stops at its stop point and
    announces it in ``stop_file``."""
    return importable_env(**{STOP_FILE_ENV: str(stop_file), **extra})


def wait_for_stop(stop_file: str,
                  running: Callable[[], bool],
                  timeout: float,
                  log: Optional[str] = None) -> str:
    """Wait until the run has written ``stop_file`` (it is then stopped, or
    about to be: kill it either way); returns the event the file names.

    Raises:
        AssertionError: the run ended (``running()`` false) or ``timeout``
            seconds passed first; with the tail of ``log``.
    """
    deadline = time.time() + timeout
    while not osp.exists(stop_file):
        ended = not running()
        if (ended or time.time() > deadline) and not osp.exists(stop_file):
            why = 'ended' if ended else f'ran for {timeout} s'
            tail = ''
            if log and osp.exists(log):
                with open(log, errors='replace') as f:
                    tail = '\n' + f.read()[-4000:]
            raise AssertionError(
                f'the run {why} without reaching its stop point{tail}')
        time.sleep(0.1)
    with open(stop_file) as f:
        return f.read().strip()


def stopping_config(tmp_path,
                    shard: str,
                    records: int,
                    config: str = TINY_CONFIG) -> str:
    """``config`` whose test pipeline starts with :class:`StopAfterRecords`:
    with the stop file in the environment, the labeling process stops
    itself once ``shard`` holds ``records`` records; without it, the
    pipeline is ``config``'s. Written under ``tmp_path``; its path."""
    steps = Config.fromfile(
        config).to_dict()['test_dataloader']['dataset']['pipeline']
    steps = [dict(type='StopAfterRecords', shard=shard, records=records)
             ] + steps
    path = tmp_path / 'stopping.py'
    path.write_text(f'_base_ = {config!r}\n'
                    f'custom_imports = {IMPORTS!r}\n'
                    f'test_dataloader = dict(dataset=dict(pipeline={steps!r}))'
                    '\n')
    return str(path)
