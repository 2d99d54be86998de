# Copyright (c) mmcasp contributors. All rights reserved.
"""CPU forward passes whose results do not depend on the batch, the thread
count or the number of processes, faster than one multi-threaded pass.

On a CPU, an image's predictions change in their last bits with what it is
computed beside: mmdet pads a batch to its largest image; oneDNN picks a
convolution's kernel by its input shape (batch included) and the thread
count, and some kernels split a sum over threads (measured on
EfficientNet-Lite0 and R-50 CondInst: the 1x1 convolutions that reduce
channels, up to 1e-5); GroupNorm on a channels-last input sums per thread.
A forward pass of **one image on one thread** has none of this: its bits
depend on the image, the model, the instruction set and the torch build
only, so labels are the same for any batch size, thread count, number of
processes or machine of one CPU generation.

:class:`OneThreadWorkers` runs such passes side by side on as many Python
threads as the process has torch threads. PyTorch's thread count (OpenMP's
and MKL's) is a property of the calling thread, so each worker computes on
one thread while the convolutions, which release the GIL, keep every core
busy. It is also faster than one pass of the batch on all threads: no
synchronisation between threads inside an operation, whose small operands
(the heads' coarse levels, the mask branch) thread poorly. Measured on two
cores (docs/benchmarks.md, "One image per thread"): the detector forward of
EfficientNet-Lite0 CondInst at 512 px 2.73 vs 2.45 images/s, R-50
CondInst at 800 px 0.671 vs 0.584. Each worker holds one forward's
activations: memory grows with the number of workers.
"""
import os
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, List, Optional, Sequence, TypeVar

import torch

__all__ = ['OneThreadWorkers']

T = TypeVar('T')
R = TypeVar('R')


def _one_thread(barrier: threading.Barrier) -> None:
    # a thread's first torch call sets its count from the process-wide
    # one (which the caller gets back below): make that call first
    torch.get_num_threads()
    torch.set_num_threads(1)
    barrier.wait()  # every worker thread is started before any returns


class OneThreadWorkers:
    """A pool of threads that each run torch on one thread.

    Grad mode and autocast are per thread in PyTorch: enter them inside the
    function given to :meth:`submit` or :meth:`map`. The threads start at
    the first call; a pickled or forked copy (e.g. in a DataLoader worker)
    starts its own.

    Args:
        workers: Threads of the pool. Default: the calling thread's torch
            thread count (one per core torch would use). Results do not
            depend on it.
    """

    def __init__(self, workers: Optional[int] = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f'workers must be >= 1, got {workers}')
        #: the pool's thread count
        self.workers = workers or torch.get_num_threads()
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pid = os.getpid()  # a forked copy has no threads

    def _start(self) -> ThreadPoolExecutor:
        caller, n = torch.get_num_threads(), self.workers
        pool = ThreadPoolExecutor(n, thread_name_prefix='mmcasp-one-thread')
        barrier = threading.Barrier(n)
        for f in [pool.submit(_one_thread, barrier) for _ in range(n)]:
            f.result()
        # torch.set_num_threads also sets the count that threads torch
        # starts later take: give the caller's back
        torch.set_num_threads(caller)
        weakref.finalize(self, pool.shutdown, wait=False)
        return pool

    def submit(self, fn: Callable[[T], R],
               items: Sequence[T]) -> List['Future[R]']:
        """Start ``fn(item)`` for each item (queued, run by the first free
        thread); returns their futures, in order."""
        if self._pool is None or self._pid != os.getpid():
            self._pool, self._pid = self._start(), os.getpid()
        return [self._pool.submit(fn, item) for item in items]

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> List[R]:
        """``[fn(item) for item in items]``, items spread over the threads
        (in order; an exception in ``fn`` is raised here)."""
        return [f.result() for f in self.submit(fn, items)]

    def __getstate__(self) -> dict:
        return dict(workers=self.workers)

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
