# Copyright (c) mmcasp contributors. All rights reserved.
"""A CPU forward pass whose results do not depend on the number of threads
or on the other images of a batch, at about oneDNN's speed.

PyTorch runs a CPU convolution through oneDNN (fast) or through ATen's own
per-image GEMM (slow for depthwise and 3x3 convolutions: the forward of
EfficientNet-Lite0 and R-50 CondInst 1.4-2.6x slower here). oneDNN picks
its kernel by the input's shape (batch included) and the thread count; for
one shape, an image's results do not depend on the other images of the
batch, but some kernels split their sum over threads, so their last bits
change with the thread count (measured on EfficientNet-Lite0 and R-50: the
1x1 convolutions that reduce channels, up to 1e-5; their 3x3 and depthwise
convolutions gave the same bits on 1 and 2 threads). GroupNorm on a
channels-last input also sums per thread (from 1024 pixels on), so its
bits change with the thread count too.

:class:`InvariantCpuForward` makes every convolution compute what oneDNN
computes on **one thread** for that input shape (the reference): the first
time a convolution meets a shape (and thread count), it runs oneDNN on the
current threads, ATen on the current threads and oneDNN on one thread on a
seeded random input of that shape and layout, and keeps the first of
oneDNN, ATen, oneDNN-on-one-thread that gives the reference's bits. A
kernel that splits a sum over threads rounds differently on practically
any input, so the choice depends on the kernels, not on the data. GroupNorm
runs on a channels-first copy of its input (one sum per group, the same for
any thread count). Every other operation runs with oneDNN off. So any
process, whatever its thread count, computes the same bits, and with a
fixed forward batch (:func:`fixed_micro_batches`) an image's outputs do not
depend on the batch either. This holds for one machine and torch build:
oneDNN picks other kernels on other instruction sets.
"""
import contextlib
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, TypeVar

import torch
from torch import nn

__all__ = [
    'fixed_micro_batches', 'InvariantCpuForward', 'choose_kernel',
    'mkldnn_disabled', 'KERNELS'
]

T = TypeVar('T')

#: how a convolution runs: oneDNN on the process's threads, ATen's GEMM on
#: them, or oneDNN on one thread (the reference itself, slowest)
KERNELS = ('onednn', 'aten', 'onednn_one_thread')


def fixed_micro_batches(items: Sequence[T],
                        size: int) -> Iterator[Tuple[List[T], int]]:
    """Cut ``items`` into forward batches of exactly ``size``: the last one
    is filled up with its last item. Yields ``(batch, n_real)``; the first
    ``n_real`` outputs of a batch are those of its items.

    >>> list(fixed_micro_batches([1, 2, 3], 2))
    [([1, 2], 2), ([3, 3], 1)]
    """
    if size < 1:
        raise ValueError(f'micro-batch size must be >= 1, got {size}')
    for i in range(0, len(items), size):
        chunk = list(items[i:i + size])
        n = len(chunk)
        yield chunk + [chunk[-1]] * (size - n), n


@contextlib.contextmanager
def mkldnn_disabled():
    """CPU convolutions on ATen: without oneDNN (mkldnn) and without
    NNPACK (which ATen takes from batch 16 on, with other last bits)."""
    prev = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        with torch.backends.nnpack.flags(enabled=False):
            yield
    finally:
        torch.backends.mkldnn.enabled = prev


@contextlib.contextmanager
def _kernel(kernel: str):
    """Run convolutions on ``kernel`` (one of :data:`KERNELS`)."""
    prev, threads = torch.backends.mkldnn.enabled, torch.get_num_threads()
    torch.backends.mkldnn.enabled = kernel != 'aten'
    one = kernel == 'onednn_one_thread' and threads != 1
    if one:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = prev
        if one:
            torch.set_num_threads(threads)


def _conv_key(conv: nn.Conv2d, x: torch.Tensor) -> tuple:
    """What a convolution's kernel choice can depend on."""
    return (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
            conv.padding, conv.dilation, conv.groups, conv.padding_mode,
            conv.bias is not None, type(conv), tuple(x.shape), x.dtype,
            x.is_contiguous(),
            x.is_contiguous(memory_format=torch.channels_last),
            conv.weight.is_contiguous(), torch.get_num_threads())


def _probe_input(x: torch.Tensor) -> torch.Tensor:
    """A seeded random tensor of ``x``'s shape, dtype and layout."""
    gen = torch.Generator().manual_seed(0)
    probe = torch.randn(x.shape, generator=gen, dtype=x.dtype)
    if not x.is_contiguous() and x.is_contiguous(
            memory_format=torch.channels_last):
        probe = probe.contiguous(memory_format=torch.channels_last)
    return probe


def choose_kernel(conv: nn.Module, x: torch.Tensor) -> str:
    """The first of :data:`KERNELS` whose ``conv(x')`` gives the bits of
    oneDNN on one thread, ``x'`` a seeded random input like ``x``. Runs
    ``conv``'s own ``forward`` (its padding included), not its hooks."""
    if torch.get_num_threads() == 1:
        return 'onednn'
    probe = _probe_input(x)
    with _kernel('onednn_one_thread'):
        ref = conv.forward(probe)
    for kernel in KERNELS[:-1]:
        with _kernel(kernel):
            if torch.equal(conv.forward(probe), ref):
                return kernel
    return 'onednn_one_thread'


class InvariantCpuForward:
    """Forward hooks that run a model's ``nn.Conv2d`` modules (mmcv's and
    subclasses included) each on its chosen kernel (:func:`choose_kernel`)
    and its ``nn.GroupNorm`` modules on channels-first input (see the
    module's docstring).

    Use :meth:`enabled` around the forward pass: inside it, every other
    operation runs with oneDNN off (as under :func:`mkldnn_disabled`);
    outside it, the model has no hooks. The choices are kept for later
    forward passes.

    Args:
        model: The model to run (in eval mode, on the CPU).
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        #: convolution shape -> one of :data:`KERNELS`
        self.choices: Dict[tuple, str] = {}
        self._kernels: List[contextlib.ExitStack] = []

    @contextlib.contextmanager
    def enabled(self):
        """Run the convolutions as chosen, the rest on ATen."""
        handles = []
        try:
            for m in self.model.modules():
                if isinstance(m, nn.Conv2d):
                    handles += [
                        m.register_forward_pre_hook(self._conv_pre),
                        m.register_forward_hook(self._conv_post)
                    ]
                elif isinstance(m, nn.GroupNorm):
                    handles += [
                        m.register_forward_pre_hook(_norm_pre),
                        m.register_forward_hook(_norm_post)
                    ]
            with mkldnn_disabled():
                yield
        finally:
            for h in handles:
                h.remove()
            while self._kernels:
                self._kernels.pop().close()

    def _conv_pre(self, conv: nn.Conv2d, args: tuple) -> None:
        x = args[0] if args else None
        if x is None or x.device.type != 'cpu':
            self._kernels.append(contextlib.ExitStack())
            return
        key = _conv_key(conv, x)
        kernel = self.choices.get(key)
        if kernel is None:
            kernel = self.choices[key] = choose_kernel(conv, x)
        stack = contextlib.ExitStack()
        stack.enter_context(_kernel(kernel))
        self._kernels.append(stack)

    def _conv_post(self, conv: nn.Conv2d, args: tuple, out) -> None:
        if self._kernels:
            self._kernels.pop().close()

    def summary(self) -> Dict[str, int]:
        """How many convolution shapes run on each kernel."""
        out = dict.fromkeys(KERNELS, 0)
        for kernel in self.choices.values():
            out[kernel] += 1
        return out


def _channels_last(x) -> bool:
    return isinstance(x, torch.Tensor) and x.dim() == 4 and \
        not x.is_contiguous() and x.is_contiguous(
            memory_format=torch.channels_last)


def _norm_pre(norm: nn.GroupNorm, args: tuple) -> Optional[tuple]:
    if args and _channels_last(args[0]):
        norm._mmcasp_channels_last = True
        return (args[0].contiguous(), ) + tuple(args[1:])
    return None


def _norm_post(norm: nn.GroupNorm, args: tuple, out) -> Optional[torch.Tensor]:
    if norm.__dict__.pop('_mmcasp_channels_last', False):
        return out.contiguous(memory_format=torch.channels_last)
    return None
