# Copyright (c) mmcasp contributors. All rights reserved.
"""Shared test helpers (paths, subprocess environment, config overrides)."""
import os
import os.path as osp
import socket

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.join(osp.dirname(REPO_ROOT), 'shared')
TINY_CONFIG = osp.join(REPO_ROOT, 'configs', 'condinst',
                       'condinst-ca_r18w16_fpn_toy-12e_toy-objects.py')


def subprocess_env(**extra):
    """This process's environment plus ``extra``, for a tool run as a
    subprocess.

    ``OMP_NUM_THREADS`` defaults to 1 (unless set, here or in ``extra``)
    for speed only: a test's processes share a small machine. No result
    may depend on it: the suite passes with ``OMP_NUM_THREADS`` unset, 1
    and 2, and a test that compares runs sets their thread counts itself.
    """
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    env.setdefault('MMCASP_OFFLINE', '1')  # no downloads (tests/conftest.py)
    env.update(extra)
    return env


def pythonpath(*folders) -> str:
    """A PYTHONPATH with ``folders`` first, then this process's."""
    return os.pathsep.join(
        str(p) for p in (*folders, os.environ.get('PYTHONPATH')) if p)


def toy_cfg_options(toy_root, work_dir=None, epochs=1):
    """--cfg-options that point the tiny config at ``toy_root``."""
    root = toy_root.rstrip('/') + '/'
    opts = [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}annotations/instances_val.json',
        f'test_evaluator.ann_file={root}annotations/instances_val.json',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1',
        'randomness.seed=0',
    ]
    return opts


def free_port() -> int:
    """A free TCP port for a torch.distributed rendezvous."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
