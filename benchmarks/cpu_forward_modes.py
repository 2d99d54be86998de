# Copyright (c) mmcasp contributors. All rights reserved.
"""The detector's CPU forward (backbone, neck and box head) under the ways
mmcasp can run it, side by side on the same seeded inputs:

* ``threads``: one pass of ``--micro-batch`` images on all of the process's
  threads (oneDNN; PyTorch's default);
* ``one_thread``: each image alone on one thread, ``OneThreadWorkers``
  passes side by side (mmcasp's batch-invariant default);
* ``one_thread_fused``: the same after mmcv's ``fuse_conv_bn`` (the
  labeling default);
* ``one_thread_fused_bf16``: and bf16 autocast (opt-in; CPUs with native
  bf16 only).

    python benchmarks/cpu_forward_modes.py --config CONFIG \
        [--size 512 672] [--images 12] [--rounds 2] --out OUT.json

Inputs are random (seeded) at one size, channels-last, the model seeded
(``torch.manual_seed(0)``; the backbone from its ``init_cfg``, random under
``MMCASP_OFFLINE=1``): the forward's cost does not depend on the weights.
Rounds interleave the modes; a mode's images/s is its best round. Also
reports whether ``one_thread`` gave one thread's bits (it must) and the
largest difference between the fused and the plain model's outputs.
"""
import argparse
import copy
import json
import platform
import time

import torch
from mmcv.cnn import fuse_conv_bn
from mmengine.config import Config

from mmcasp.apis import load_detector
from mmcasp.pseudo_labels import OneThreadWorkers, dump_json_atomic
from mmcasp.utils import description, register_all_modules


def parse_args():
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument('--config', required=True)
    p.add_argument('--size', type=int, nargs=2, default=[512, 672])
    p.add_argument('--images', type=int, default=12)
    p.add_argument('--micro-batch', type=int, default=4)
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--out', required=True)
    return p.parse_args()


def _tensors(out):
    if torch.is_tensor(out):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _tensors(o)]
    return []


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    torch.manual_seed(0)
    plain = load_detector(
        cfg, None, device='cpu').eval().to(memory_format=torch.channels_last)
    fused = fuse_conv_bn(
        copy.deepcopy(plain)).to(memory_format=torch.channels_last)
    h, w = args.size
    gen = torch.Generator().manual_seed(1)
    images = [
        torch.randn(
            1, 3, h, w,
            generator=gen).contiguous(memory_format=torch.channels_last)
        for _ in range(args.images)
    ]
    workers = OneThreadWorkers()

    def forward(model, bf16=False):

        @torch.no_grad()
        def run(x):
            with torch.autocast('cpu', torch.bfloat16, enabled=bf16):
                return model.bbox_head(model.extract_feat(x))

        return run

    def threads(model):
        mb = args.micro_batch
        batches = [
            torch.cat(images[i:i +
                             mb]).contiguous(memory_format=torch.channels_last)
            for i in range(0, len(images), mb)
        ]
        run = forward(model)
        return lambda: [run(b) for b in batches]

    modes = dict(
        threads=threads(plain),
        one_thread=lambda: workers.map(forward(plain), images),
        one_thread_fused=lambda: workers.map(forward(fused), images))
    bf16 = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    if bf16:
        modes['one_thread_fused_bf16'] = lambda: workers.map(
            forward(fused, True), images)
    for run in modes.values():  # warm-up: oneDNN primitives per shape
        run()
    rounds = {name: [] for name in modes}
    for _ in range(args.rounds):
        for name, run in modes.items():
            t = time.perf_counter()
            run()
            rounds[name].append(args.images / (time.perf_counter() - t))
            print(name, f'{rounds[name][-1]:.3f} images/s', flush=True)
    # one_thread computes one thread's bits; fusion changes only rounding
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    ref = _tensors(forward(plain)(images[0]))
    ref_fused = _tensors(forward(fused)(images[0]))
    torch.set_num_threads(prev)
    got = _tensors(workers.map(forward(plain), images[:1])[0])
    res = dict(
        config=args.config,
        size=args.size,
        images=args.images,
        micro_batch=args.micro_batch,
        cpu=platform.processor() or 'cpu',
        cpu_capability=torch.backends.cpu.get_cpu_capability(),
        torch=torch.__version__,
        threads=prev,
        images_per_s={
            name: round(max(r), 3)
            for name, r in rounds.items()
        },
        rounds_images_per_s={
            name: [round(x, 3) for x in r]
            for name, r in rounds.items()
        },
        one_thread_bits=all(torch.equal(a, b) for a, b in zip(ref, got)),
        fused_max_abs_diff=max(
            (a - b).abs().max().item() for a, b in zip(ref, ref_fused)),
        output_max_abs=max(a.abs().max().item() for a in ref))
    print(json.dumps(res))
    dump_json_atomic(res, args.out)


if __name__ == '__main__':
    main()
