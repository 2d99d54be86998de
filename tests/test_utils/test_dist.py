# Copyright (c) mmcasp contributors. All rights reserved.
"""``init_distributed`` starts CPU processes with the config's
``env_cfg.dist_cfg`` (e.g. a longer timeout for long labeling merges), as
mmengine's own ``init_dist`` would on GPUs."""
import datetime

import torch

import mmcasp.utils.dist as dist
from mmcasp.utils import init_distributed


def test_cpu_group_gets_the_dist_cfg(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(dist.torch_dist, 'is_initialized', lambda: False)
    monkeypatch.setattr(dist.torch_dist, 'init_process_group',
                        lambda **kw: calls.append(kw))
    monkeypatch.setenv('RANK', '1')
    monkeypatch.setenv('WORLD_SIZE', '2')
    init_distributed('pytorch', backend='nccl', timeout=7200)
    assert calls == [
        dict(
            backend='gloo',
            rank=1,
            world_size=2,
            timeout=datetime.timedelta(seconds=7200))
    ]
    init_distributed('none', timeout=1)  # nothing to start
    assert len(calls) == 1
