# Copyright (c) mmcasp contributors. All rights reserved.
"""Start torch.distributed on GPU (mmengine) or CPU (gloo)."""
import datetime
import os
import subprocess

import torch
import torch.distributed as torch_dist
from mmengine.dist import init_dist

__all__ = [
    'init_distributed', 'cpu_model_wrapper_cfg', 'slurm_dist_env',
    'DistLaunchError'
]

SLURM_PORT_BASE = 20000  # default MASTER_PORT: base + job id % span
SLURM_PORT_SPAN = 10000


class DistLaunchError(RuntimeError):
    """The launcher's environment cannot start a process group."""


def _scontrol_first_host(node_list: str) -> str:
    out = subprocess.run(['scontrol', 'show', 'hostnames', node_list],
                         capture_output=True,
                         text=True)
    hosts = out.stdout.split()
    if out.returncode != 0 or not hosts:
        raise DistLaunchError(
            f'`scontrol show hostnames {node_list}` failed '
            f'({out.stderr.strip()}): set MASTER_ADDR to the first node')
    return hosts[0]


def slurm_dist_env(environ, first_host=_scontrol_first_host) -> dict:
    """torch.distributed variables of one task started by ``srun``.

    ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` come from ``SLURM_PROCID``/
    ``SLURM_NTASKS``/``SLURM_LOCALID``; ``MASTER_ADDR`` (unless set) is the
    first node of ``SLURM_NODELIST``; ``MASTER_PORT`` (unless set) is
    ``SLURM_PORT_BASE + SLURM_JOB_ID % SLURM_PORT_SPAN``, so jobs sharing a
    node do not meet on one port (mmengine's default is always 29500), and
    a requeued job keeps its port.
    """
    needed = ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
    missing = [k for k in needed if k not in environ]
    if missing:
        raise DistLaunchError(
            f'--launcher slurm needs {", ".join(missing)}, which srun sets: '
            'start the tool with srun (tools/slurm_*.sh), or use '
            '--launcher pytorch (torch.distributed.run)')
    port = environ.get('MASTER_PORT') or str(
        SLURM_PORT_BASE +
        int(environ.get('SLURM_JOB_ID', 0)) % SLURM_PORT_SPAN)
    return dict(
        RANK=environ['SLURM_PROCID'],
        WORLD_SIZE=environ['SLURM_NTASKS'],
        LOCAL_RANK=environ.get('SLURM_LOCALID', '0'),
        MASTER_ADDR=environ.get('MASTER_ADDR')
        or first_host(environ['SLURM_NODELIST']),
        MASTER_PORT=port)


def init_distributed(launcher: str, backend: str = 'nccl', **kwargs) -> None:
    """Initialise the process group for ``launcher`` unless ``'none'``.

    mmengine's ``init_dist`` always calls ``torch.cuda.set_device``, which
    fails without CUDA; on CPU this starts a ``gloo`` group from the
    launcher's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``...)
    instead. Under ``srun`` (``'slurm'``) those variables are first derived
    from slurm's (:func:`slurm_dist_env`), on GPU and CPU alike. A Runner
    created afterwards sees the group and does not initialise again, so
    ``tools/train.py --launcher pytorch|slurm`` also works with CPU
    processes.

    Args:
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        backend: The GPU backend (CPU processes always use gloo).
        **kwargs: The rest of a config's ``env_cfg.dist_cfg``, as the
            Runner's own ``init_dist`` takes it (e.g. ``timeout`` in
            seconds), on GPU and CPU alike.
    """
    if launcher == 'none' or torch_dist.is_initialized():
        return
    if launcher == 'slurm':
        os.environ.update(slurm_dist_env(os.environ))
    if torch.cuda.is_available():
        init_dist(launcher, backend=backend, **kwargs)
        return
    if launcher not in ('pytorch', 'slurm'):
        raise DistLaunchError(
            f'launcher {launcher!r} without CUDA: use --launcher pytorch '
            '(torch.distributed.run) or slurm (srun)')
    if kwargs.get('timeout') is not None:  # seconds, as mmengine's init_dist
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    torch_dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)


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
