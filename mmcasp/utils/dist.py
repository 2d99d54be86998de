# Copyright (c) mmcasp contributors. All rights reserved.
"""Start torch.distributed on GPU (mmengine) or CPU (gloo)."""
import os

import torch
import torch.distributed as torch_dist
from mmengine.dist import init_dist

__all__ = ['init_distributed', 'cpu_model_wrapper_cfg']


def init_distributed(launcher: str, backend: str = 'nccl') -> None:
    """Initialise the process group for ``launcher`` unless ``'none'``.

    mmengine's ``init_dist`` always calls ``torch.cuda.set_device``, which
    fails without CUDA; on CPU this starts a ``gloo`` group from the
    launcher's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``...)
    instead. A Runner created afterwards sees the group and does not
    initialise again, so ``tools/train.py --launcher pytorch`` also works
    with CPU processes.
    """
    if launcher == 'none' or torch_dist.is_initialized():
        return
    if torch.cuda.is_available():
        init_dist(launcher, backend=backend)
        return
    if launcher != 'pytorch':
        raise RuntimeError(f'launcher {launcher!r} without CUDA: use '
                           '--launcher pytorch (torch.distributed.run)')
    torch_dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']))


def cpu_model_wrapper_cfg(cfg) -> None:
    """On CPU, make the Runner wrap the model in DDP without ``device_ids``.

    mmengine's default wrapper passes ``device_ids=[LOCAL_RANK]``, which
    DistributedDataParallel refuses for CPU modules. Sets
    ``cfg.model_wrapper_cfg`` only when distributed, without CUDA and not
    set by the user.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,  # the Runner's default [LOCAL_RANK] is CUDA-only
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
