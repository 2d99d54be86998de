# Copyright (c) mmcasp contributors. All rights reserved.
"""The batch-invariant CPU forward: fixed micro-batches, every convolution
computing what oneDNN computes on one thread, GroupNorm channels-first.

Outputs are compared exactly: the claim is bit-identity, and it holds by
construction (each convolution's kernel is chosen by comparing with one
thread's bits at its shape), whatever the CPU and thread count this runs
with.
"""
import pytest
import torch
from torch import nn

import mmcasp.pseudo_labels.invariant_cpu_forward as icf
from mmcasp.pseudo_labels.invariant_cpu_forward import (InvariantCpuForward,
                                                        choose_kernel,
                                                        fixed_micro_batches)


def test_fixed_micro_batches_fill_the_last_with_copies():
    assert list(fixed_micro_batches([1, 2, 3, 4, 5], 2)) == [([1, 2], 2),
                                                             ([3, 4], 2),
                                                             ([5, 5], 1)]
    assert list(fixed_micro_batches([7], 3)) == [([7, 7, 7], 1)]
    assert list(fixed_micro_batches([], 2)) == []
    with pytest.raises(ValueError, match='micro-batch'):
        list(fixed_micro_batches([1], 0))


def _net():
    torch.manual_seed(0)
    # the layer kinds of the labelers: 3x3, strided, depthwise, 1x1 that
    # widen and 1x1 that reduce channels (some oneDNN kernels split these
    # sums over threads), and the heads' GroupNorm (channels-last
    # GroupNorm sums per thread from 1024 pixels on: 32 x 40 here)
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, 1, 1, groups=32), nn.Conv2d(32, 192, 1),
        nn.ReLU(), nn.Conv2d(192, 24, 1), nn.Conv2d(24, 64, 3, 1, 1),
        nn.GroupNorm(8, 64)).eval()


def _forward(net, x, threads):
    prev = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        forward = InvariantCpuForward(net)  # as in a new process
        with torch.no_grad(), forward.enabled():
            return net(x), forward
    finally:
        torch.set_num_threads(prev)


@pytest.mark.parametrize('memory_format',
                         [torch.contiguous_format, torch.channels_last])
def test_same_bits_for_any_thread_count_and_batch_position(memory_format):
    net = _net().to(memory_format=memory_format)
    x = torch.randn(4, 3, 64, 80).contiguous(memory_format=memory_format)
    ref, _ = _forward(net, x, 1)
    for threads in (2, 3):
        got, forward = _forward(net, x, threads)
        assert torch.equal(got, ref), threads
        assert sum(forward.summary().values()) == 5
    # an image's outputs do not depend on the others of its micro-batch
    swapped, _ = _forward(net, x[[3, 2, 1, 0]], 2)
    assert torch.equal(swapped, ref[[3, 2, 1, 0]])
    # the layout comes out as it went in; the hooks are gone afterwards,
    # oneDNN and the thread count are as they were
    assert got.is_contiguous(memory_format=memory_format)
    assert not any(m._forward_pre_hooks for m in net.modules())
    assert torch.backends.mkldnn.enabled


def test_kernel_choice_falls_back_until_one_thread_s_bits(monkeypatch):
    """With the kernels made to differ: oneDNN where it matches one
    thread, else ATen where that does, else oneDNN on one thread; each
    shape is chosen once, and the chosen kernel runs the forward."""
    net = _net()
    real_kernel = icf._kernel
    running = []

    def kernel(name):
        running.append(name)
        return real_kernel(name)

    def forward_of(conv):
        plain = type(conv).forward

        def forward(x):
            out = plain(conv, x)
            k = running[-1]
            if conv.kernel_size == (1, 1) and k == 'onednn':
                return out + 1  # this kernel "splits its sum"
            if conv.out_channels == 24 and k == 'aten':
                return out + 1  # and ATen too, for the reducing 1x1
            return out

        return forward

    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            m.forward = forward_of(m)
    monkeypatch.setattr(icf, '_kernel', kernel)
    prev = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        forward = InvariantCpuForward(net)
        with torch.no_grad(), forward.enabled():
            net(torch.randn(2, 3, 32, 32))
            chosen = list(forward.choices.values())
            running[:] = []
            net(torch.randn(2, 3, 32, 32))
    finally:
        torch.set_num_threads(prev)
    assert chosen == [
        'onednn', 'onednn', 'aten', 'onednn_one_thread', 'onednn'
    ]
    assert forward.summary() == dict(onednn=3, aten=1, onednn_one_thread=1)
    # known shapes: no more comparisons, each runs on its kernel
    assert running == chosen
    # one thread: oneDNN, nothing compared
    torch.set_num_threads(1)
    try:
        assert choose_kernel(net[3], torch.randn(2, 32, 16, 16)) == 'onednn'
    finally:
        torch.set_num_threads(prev)
