# Copyright (c) mmcasp contributors. All rights reserved.
"""One-thread workers: each item computed on one thread, off the caller's
thread, whose thread count stays as it was.

Outputs are compared exactly: the claim is that a worker computes what one
thread computes, which holds by construction on any CPU.
"""
import pickle
import threading

import pytest
import torch
from torch import nn

from mmcasp.pseudo_labels import OneThreadWorkers


def _net():
    torch.manual_seed(0)
    # the layer kinds whose last bits depend on the thread count: 1x1
    # convolutions that reduce channels, GroupNorm over channels-last input
    return nn.Sequential(
        nn.Conv2d(3, 192, 3, 1, 1), nn.ReLU(), nn.Conv2d(192, 24, 1),
        nn.GroupNorm(8, 24)).eval().to(memory_format=torch.channels_last)


def _on_one_thread(fn, x):
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn(x)
    finally:
        torch.set_num_threads(prev)


def test_items_run_on_one_thread_each_off_the_caller():
    caller = torch.get_num_threads()
    workers = OneThreadWorkers(3)
    seen = workers.map(
        lambda i:
        (i, torch.get_num_threads(), threading.current_thread().name),
        range(7))
    assert [i for i, _, _ in seen] == list(range(7))  # in order
    assert {t for _, t, _ in seen} == {1}
    assert all(name.startswith('mmcasp-one-thread') for *_, name in seen)
    assert torch.get_num_threads() == caller
    # threads torch starts later take the caller's count, not one
    later = []
    t = threading.Thread(target=lambda: later.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert later == [caller]
    with pytest.raises(ZeroDivisionError):
        workers.map(lambda i: 1 / i, [1, 0])
    workers.close()
    with pytest.raises(ValueError, match='workers'):
        OneThreadWorkers(0)


def test_outputs_are_one_threads():
    net = _net()
    gen = torch.Generator().manual_seed(1)
    xs = [
        torch.randn(
            1, 3, 48, 64,
            generator=gen).contiguous(memory_format=torch.channels_last)
        for _ in range(4)
    ]

    @torch.no_grad()
    def forward(x):
        return net(x)

    ref = [_on_one_thread(forward, x) for x in xs]
    for n in (1, 2):
        got = OneThreadWorkers(n).map(forward, xs)
        assert all(torch.equal(a, b) for a, b in zip(ref, got)), n


def test_pickled_copy_starts_its_own_threads():
    workers = OneThreadWorkers(2)
    workers.map(abs, [-1])
    copy = pickle.loads(pickle.dumps(workers))
    assert copy.workers == 2 and copy._pool is None
    assert copy.map(abs, [-2, 3]) == [2, 3]
