# Copyright (c) mmcasp contributors. All rights reserved.
"""The settings of pseudo-labeling with a detector, with their defaults in
one place: the pipeline's ``pseudo`` section, ``tools/pseudo_label.py``,
the pseudo-labeling hooks and the benchmarks all read them from here."""
from dataclasses import asdict, dataclass
from typing import Optional

__all__ = ['LabelingSettings']


@dataclass
class LabelingSettings:
    """How a detector's predictions become pseudo labels, and the loop.

    Args:
        delta: Keep predictions whose objectness is above ``delta`` (the
            CaSP papers' δ = 0.2).
        max_per_image: At most this many labels per image (highest
            objectness first).
        min_size: Minimum box side in pixels.
        keep_top: Also keep each image's highest-scoring prediction (of
            those passing ``min_size``), whatever its score: DAP Table 9's
            self-training rule, "score >= 0.6 or the image's top box"
            (``delta=0.6, keep_top=True``). An image can still be dropped
            empty: when the model predicts nothing for it, every box is
            under ``min_size``, or the top box's mask is empty (the next
            box is not promoted).
        flip: Horizontal-flip test-time augmentation: the flipped image's
            predictions are merged with the image's by NMS (per class for
            class-specific labels).
        fp16: Autocast the forward pass to fp16 (GPU only).
        bf16: Autocast the forward pass to bf16, on a CPU with native bf16
            (AVX-512 BF16 or AMX; refused elsewhere) or a GPU. An opt-in
            for speed (several times fp32's on AMX, see docs/benchmarks.md):
            the labels are not fp32's (their difference is measured there),
            and still batch-invariant on a CPU.
        batch_invariant: On a CPU, an image's labels are the same for any
            batch size, thread count or number of processes (on one CPU
            generation and torch build; flip included): each image's
            forward pass runs alone on one thread, ``cpu_workers`` passes
            side by side (:mod:`~mmcasp.pseudo_labels.one_thread_workers`;
            faster than one pass of the batch on all threads, see
            docs/benchmarks.md). ``False`` runs the batch's pass on all
            threads, whose last bits depend on the batch and the thread
            count. No effect on a GPU.
        cpu_workers: Forward passes side by side under ``batch_invariant``
            (default ``None``: the process's torch thread count, one per
            core it would use). Labels do not depend on it; memory does
            (one forward's activations per worker): on a many-core node,
            run several processes or set fewer workers.
        channels_last: On a CPU, the model's weights and inputs in
            channels-last memory format, oneDNN's own layout (faster on
            EfficientNet-Lite0 and R-50 here, see docs/benchmarks.md);
            other last bits than channels-first. No effect on a GPU.
        fuse_conv_bn: Fold each BatchNorm into the convolution before it
            (mmcv's ``fuse_conv_bn``, as mmdet's ``tools/test.py
            --fuse-conv-bn``): the same function up to rounding, one
            operation less per convolution (2-7 % faster forward on
            EfficientNet-Lite0 and R-50 here, see docs/benchmarks.md).
            Changes the model in place: the pseudo-labeling hook, whose
            model goes on training, leaves it off.
        batch_size: Images per call of the predictor (one forward pass on
            a GPU or with ``batch_invariant=False``; spread over the
            ``cpu_workers`` otherwise). Labels do not depend on it.
        num_workers: DataLoader processes decoding and preparing images.
    """
    delta: float = 0.2
    max_per_image: int = 100
    min_size: float = 0.
    keep_top: bool = False
    flip: bool = False
    fp16: bool = False
    bf16: bool = False
    batch_invariant: bool = True
    cpu_workers: Optional[int] = None
    channels_last: bool = True
    fuse_conv_bn: bool = True
    batch_size: int = 8
    num_workers: int = 2

    def rules(self) -> dict:
        """The rules that make predictions labels: what a label file's
        ``info`` records of the settings (how the forward ran goes in its
        ``forward``, from ``DetectorPredictor.forward_settings``)."""
        return dict(
            delta=self.delta,
            max_per_image=self.max_per_image,
            min_size=self.min_size,
            keep_top=self.keep_top,
            flip=self.flip)

    def predictor_kwargs(self) -> dict:
        """The rules and the forward's settings, as
        :class:`~mmcasp.pseudo_labels.DetectorPredictor` takes them."""
        return dict(
            self.rules(),
            fp16=self.fp16,
            bf16=self.bf16,
            batch_invariant=self.batch_invariant,
            cpu_workers=self.cpu_workers,
            channels_last=self.channels_last,
            fuse_conv_bn=self.fuse_conv_bn)

    def loop_kwargs(self) -> dict:
        """The loop, as :func:`~mmcasp.pseudo_labels.run_pseudo_labeling`
        takes it."""
        return dict(batch_size=self.batch_size, num_workers=self.num_workers)

    def to_dict(self) -> dict:
        return asdict(self)
