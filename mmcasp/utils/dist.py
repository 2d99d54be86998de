# Copyright (c) mmcasp contributors. All rights reserved.
"""Start torch.distributed on GPU (mmengine) or CPU (gloo)."""
import os

import torch
import torch.distributed as torch_dist
from mmengine.dist import init_dist

__all__ = ['init_distributed']


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
