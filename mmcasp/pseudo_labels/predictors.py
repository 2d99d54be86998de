# Copyright (c) mmcasp contributors. All rights reserved.
"""Image -> instances for the two labelers (the only part they differ in).

Both expose ``prepare(entry, img)`` (run in DataLoader workers) and
``__call__(items)`` (a batch on the model's device), as
:func:`~mmcasp.pseudo_labels.labeling_loop.run_pseudo_labeling` expects;
the detector's also ``submit(items)``, which labels in the background on
its CPU workers.
"""
import contextlib
import copy
import functools
import inspect
import threading
import time
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmcv.cnn import fuse_conv_bn as mmcv_fuse_conv_bn
from mmcv.transforms import Compose
from mmdet.models.dense_heads import CondInstMaskHead
from mmdet.models.detectors.single_stage_instance_seg import \
    SingleStageInstanceSegmentor
from mmengine.dataset import pseudo_collate
from mmengine.logging import print_log
from mmengine.registry import DefaultScope

from .cam import cam_to_boxes, nms_keep, scale_boxes
from .coco_io import xyxy_to_xywh
from .labeling_settings import LabelingSettings
from .objectness import objectness_rule
from .one_thread_workers import OneThreadWorkers
from .postprocess import (box_filter, condinst_mask_logits,
                          merge_flip_predictions, paste_condinst_masks,
                          select_instances)

__all__ = [
    'inference_pipeline', 'DetectorPredictor', 'CamPredictor', 'CAM_INPUTS',
    'cam_rules'
]


def inference_pipeline(test_pipeline: Sequence[dict]) -> List[dict]:
    """A config's test pipeline for in-memory images: ``LoadImageFromFile``
    becomes ``LoadImageFromNDArray`` and ``LoadAnnotations`` is dropped."""
    out = []
    for t in copy.deepcopy(list(test_pipeline)):
        name = t['type'].split('.')[-1]
        if name == 'LoadImageFromFile':
            t = dict(type='mmdet.LoadImageFromNDArray')
        elif name == 'LoadAnnotations':
            continue
        elif name == 'PackDetInputs':
            t['meta_keys'] = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                              'scale_factor')
        out.append(t)
    return out


#: guards ``DetectorPredictor.timings``, added to from the CPU workers
_TIMINGS_LOCK = threading.Lock()


def _as_dict(pred) -> dict:
    """mmdet ``pred_instances`` -> dict of tensors, left on their device."""
    out = dict(bboxes=pred.bboxes, scores=pred.scores)
    for key in ('masks', 'labels'):
        if key in pred:
            out[key] = getattr(pred, key)
    return out


def _autocast(fp16: bool, device: torch.device, bf16: bool = False):
    """fp16 autocast on a GPU (``fp16``), bf16 autocast (``bf16``)."""
    if bf16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    if fp16 and device.type == 'cuda':
        return torch.autocast('cuda', dtype=torch.float16)
    return contextlib.nullcontext()


def _check_bf16(device: torch.device) -> None:
    """Raise where bf16 would be emulated: a CPU without native bf16
    (AVX-512 BF16 or AMX; oneDNN's test), a GPU without bf16."""
    if device.type == 'cpu':
        ok = torch.backends.mkldnn.is_available() and \
            torch.ops.mkldnn._is_mkldnn_bf16_supported()
    else:
        ok = device.type == 'cuda' and torch.cuda.is_bf16_supported()
    if not ok:
        raise ValueError(
            f'bf16 labeling needs native bf16 on {device} (a CPU with '
            f'AVX-512 BF16 or AMX, or a bf16 GPU): without it bf16 is '
            f'emulated and slower than fp32; leave bf16 off')


@contextlib.contextmanager
def _mkldnn_off():
    """CPU convolutions whose results do not depend on the batch: without
    oneDNN (``torch.backends.mkldnn.enabled = False``; its ``flags()`` also
    sets TF32 and warns on CPU builds) and without NNPACK (which ATen uses
    from batch 16 on, giving other last bits than at batch 1)."""
    prev = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        with torch.backends.nnpack.flags(enabled=False):
            yield
    finally:
        torch.backends.mkldnn.enabled = prev


def _invariant_cpu(enabled: bool, device: torch.device):
    """ATen's CPU convolutions (see :func:`_mkldnn_off`), for the CAM
    labeler's one-image forwards."""
    if enabled and device.type == 'cpu':
        return _mkldnn_off()
    return contextlib.nullcontext()


class _Queued:
    """Results of items queued to CPU workers: call for them (in order),
    ``cancel()`` to drop those not started."""

    def __init__(self, futures: list, done: Callable) -> None:
        self.futures, self.done = futures, done

    def __call__(self) -> list:
        return self.done([f.result() for f in self.futures])

    def cancel(self) -> None:
        for f in self.futures:
            f.cancel()


class DetectorPredictor:
    """CaSP's detector labeler.

    Args:
        model: A built mmdet detector in eval mode (e.g. the class-agnostic
            CondInst); its ``test_step`` gives instances rescaled to the
            original image.
        test_pipeline: The config's test pipeline (see
            :func:`inference_pipeline`).
        delta: Keep predictions with objectness > delta; objectness is the
            model's score on one scale for every head (see
            :mod:`mmcasp.pseudo_labels.objectness`: sqrt(cls * ctr) for
            heads with centerness, whether they report the product, as
            mmdet's do, or the geometric mean, as mmcasp's class-agnostic
            CondInst does). Labels store it as their ``score``.
        max_per_image: At most this many labels per image.
        min_size: Minimum box side in pixels.
        keep_top: Also keep each image's highest-scoring prediction
            (DAP's self-training rule; see
            :class:`~mmcasp.pseudo_labels.LabelingSettings`). Only what the
            model's ``test_cfg`` lets through can be kept (mmdet's
            ``score_thr``, e.g. 0.05).
        flip: Add horizontal-flip test-time augmentation (merged per class
            with ``category_ids``).
        flip_iou: NMS IoU when merging flipped predictions.
        fp16: Autocast to fp16 on GPU.
        bf16: Autocast to bf16 (a CPU with native bf16, e.g. AMX, or a
            GPU): several times faster on such CPUs, other labels than
            fp32's (measured in docs/benchmarks.md); still batch-invariant.
        scope: Registry scope to build the pipeline in.
        category_ids: Class index -> category id: write the model's classes
            (class-specific pseudo labels). Default: one ``object``
            category (id 1), CaSP's class-agnostic labels.
        prefilter: Apply the box rules (δ, size) before the mask head, so
            masks are computed and pasted for candidates only (same labels,
            see :meth:`_prefiltered_predict`); for CondInst-like models.
        batch_invariant: On a CPU, each image's forward pass alone on one
            thread, ``cpu_workers`` passes side by side
            (:class:`~mmcasp.pseudo_labels.one_thread_workers.
            OneThreadWorkers`): an image's labels are the same for any
            batch size, thread count or number of processes. ``False``: the
            batch's pass on all threads (last bits depend on both).
        cpu_workers: Passes side by side under ``batch_invariant``
            (default: the process's torch threads). Labels do not depend
            on it.
        channels_last: On a CPU, the model's weights and inputs in
            channels-last memory format, oneDNN's own layout (faster; other
            last bits than channels-first). Converts ``model`` in place:
            pass ``False`` for a model that goes on training.
        fuse_conv_bn: Fold each BatchNorm into the convolution before it
            (mmcv's ``fuse_conv_bn``; the same function up to rounding,
            faster). Changes ``model`` in place: pass ``False`` for a model
            that goes on training.
    """

    def __init__(self,
                 model: torch.nn.Module,
                 test_pipeline: Sequence[dict],
                 delta: float = LabelingSettings.delta,
                 max_per_image: int = LabelingSettings.max_per_image,
                 min_size: float = LabelingSettings.min_size,
                 keep_top: bool = LabelingSettings.keep_top,
                 flip: bool = LabelingSettings.flip,
                 flip_iou: float = 0.6,
                 fp16: bool = LabelingSettings.fp16,
                 scope: str = 'mmcasp',
                 category_ids: Optional[Sequence[int]] = None,
                 prefilter: bool = True,
                 batch_invariant: bool = LabelingSettings.batch_invariant,
                 cpu_workers: Optional[int] = LabelingSettings.cpu_workers,
                 channels_last: bool = LabelingSettings.channels_last,
                 bf16: bool = LabelingSettings.bf16,
                 fuse_conv_bn: bool = LabelingSettings.fuse_conv_bn) -> None:
        self.category_ids = category_ids
        self.model = model.eval()
        with DefaultScope.overwrite_default_scope(scope):
            self.pipeline = Compose(inference_pipeline(test_pipeline))
        self.delta = delta
        self.max_per_image = max_per_image
        self.min_size = min_size
        self.keep_top = keep_top
        self.flip = flip
        self.flip_iou = flip_iou
        self.fp16 = fp16
        self.prefilter = prefilter
        self.batch_invariant = batch_invariant
        self.device = next(model.parameters()).device
        on_cpu = self.device.type == 'cpu'
        if fp16 and bf16:
            raise ValueError('fp16 and bf16 exclude each other: pick one')
        if bf16:
            _check_bf16(self.device)
        self.bf16 = bf16
        self.fuse_conv_bn = fuse_conv_bn
        if fuse_conv_bn:
            mmcv_fuse_conv_bn(self.model)
        self.channels_last = channels_last and on_cpu
        if self.channels_last:
            self.model.to(memory_format=torch.channels_last)
        #: the threads of the batch-invariant CPU forward
        self.workers = OneThreadWorkers(cpu_workers) \
            if batch_invariant and on_cpu else None
        #: how the model's scores become the objectness δ is compared with
        #: (:mod:`mmcasp.pseudo_labels.objectness`)
        self.objectness, self._to_objectness = objectness_rule(model)
        #: set to a Counter to accumulate forward / post-processing seconds
        self.timings: Optional[Counter] = None
        head_cfg = getattr(
            getattr(model, 'bbox_head', None), 'test_cfg', None) or {}
        thr = head_cfg.get('score_thr', 0) if hasattr(head_cfg, 'get') else 0
        # objectness sqrt(cls * ctr) > delta needs only cls > delta**2
        lowest = delta if self.objectness == 'classification score' \
            else delta**2
        if thr > lowest + 1e-9:
            print_log(
                f'test_cfg.score_thr={thr} pre-filters classification '
                f'scores above {lowest:.3f}: boxes with objectness '
                f'> {delta} can be lost; lower score_thr',
                logger='current',
                level=30)

    def batch_key(self, item: dict) -> Tuple[int, int]:
        """The padded input shape ``(H, W)`` of a prepared item: the test
        pipeline's output padded to the data preprocessor's size divisor.
        Batched with other images of this shape only, an image gets the
        same network input as alone (mmdet pads a batch to its largest
        image, and padding changes predictions)."""
        h, w = item['inputs']['packed']['inputs'].shape[-2:]
        d = int(
            getattr(self.model.data_preprocessor, 'pad_size_divisor', 1) or 1)
        return -(-h // d) * d, -(-w // d) * d

    def _pack(self, entry: dict, img: np.ndarray) -> dict:
        return self.pipeline(
            dict(img=img, img_id=entry['id'], img_path=entry['path']))

    def prepare(self, entry: dict, img: np.ndarray) -> dict:
        out = dict(packed=self._pack(entry, img))
        if self.flip:
            out['flipped'] = self._pack(entry,
                                        np.ascontiguousarray(img[:, ::-1]))
        return out

    def _staged(self) -> bool:
        """Masks only for the predictions that can be kept: for an mmdet
        single-stage instance segmentor with a box head (CondInst, YOLACT)
        and no flip TTA (which merges masks before the rules)."""
        m = self.model
        return (self.prefilter and not self.flip
                and isinstance(m, SingleStageInstanceSegmentor) and m.with_bbox
                and m.with_mask)

    def _prefiltered_predict(self, data: dict) -> Tuple[list, List[Counter]]:
        """``SingleStageInstanceSegmentor.predict`` with CaSP's box rules
        (:func:`box_filter`: δ and size, on the original-image boxes) applied
        between the box head and the mask head, so the mask head computes
        and pastes masks of candidates only. The kept predictions and their
        masks are those of the stock ``predict``: boxes and scores come from
        the same box head; each mask is computed by its own group of the
        dynamic convolution and pasted channel by channel (tested
        bit-identical on CPU)."""
        m = self.model
        samples = data['data_samples']
        x = m.extract_feat(data['inputs'])
        results = m.bbox_head.predict(x, samples, rescale=False)
        drops = []
        for i, (res, sample) in enumerate(zip(results, samples)):
            res.scores = self._to_objectness(res.scores)
            scale = res.bboxes.new_tensor(sample.scale_factor).repeat((1, 2))
            keep, why = box_filter(res.bboxes / scale, res.scores, self.delta,
                                   self.min_size, self.keep_top)
            results[i] = res[keep]
            drops.append(why)
        if isinstance(m.mask_head, CondInstMaskHead):
            self._paste_condinst(x, results, samples)
        else:
            results = m.mask_head.predict(
                x, samples, rescale=True, results_list=results)
        return m.add_pred_to_datasample(samples, results), drops

    def _paste_condinst(self, x: tuple, results: list, samples: list) -> None:
        """``CondInstMaskHead.predict`` (rescale) for the candidates, with
        :func:`paste_condinst_masks` (same masks, laid out for RLE)."""
        head = self.model.mask_head
        t0 = time.perf_counter()
        mask_feats = head.mask_feature_head(x)
        for res, feat, sample in zip(results, mask_feats, samples):
            pred = condinst_mask_logits(head, feat, res)
            meta = sample.metainfo
            res.bboxes = res.bboxes / res.bboxes.new_tensor(
                meta['scale_factor']).repeat((1, 2))
            res.masks = paste_condinst_masks(pred, meta['img_shape'][:2],
                                             meta['ori_shape'][:2],
                                             head.mask_out_stride,
                                             head.test_cfg.mask_thr)
        if self.timings is not None:
            self._sync()
        self._add_time('mask_paste_s', t0)

    @property
    def batch_multiple(self) -> int:
        """Batches worth calling with are multiples of this: the CPU
        workers (one image each at a time), else 1.
        :func:`~mmcasp.pseudo_labels.run_pseudo_labeling` rounds its batch
        size up to a multiple of it."""
        return self.workers.workers if self.workers is not None else 1

    def forward_settings(self) -> dict:
        """What the labels' last bits depend on besides the model and the
        rules (for a label file's ``info``)."""
        return dict(
            device=self.device.type,
            batch_invariant=self.workers is not None,
            channels_last=self.channels_last,
            fuse_conv_bn=self.fuse_conv_bn,
            fp16=self.fp16 and self.device.type == 'cuda',
            bf16=self.bf16)

    def _forward(self, packed: List[dict]) -> Tuple[list, List[Counter]]:
        """One forward pass (``BaseModel.test_step``: preprocessing, then
        ``predict``), with the objectness as the scores."""
        with _autocast(self.fp16, self.device, self.bf16):
            data = self.model.data_preprocessor(pseudo_collate(packed), False)
            if self.channels_last:
                data['inputs'] = data['inputs'].contiguous(
                    memory_format=torch.channels_last)
            if self._staged():
                return self._prefiltered_predict(data)
            results = self.model(**data, mode='predict')
            for res in results:
                res.pred_instances.scores = self._to_objectness(
                    res.pred_instances.scores)
            return results, [Counter()] * len(packed)

    def _sync(self) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    def _add_time(self, key: str, since: float) -> float:
        """Add the seconds since ``since`` to ``timings[key]`` (summed over
        the CPU workers' threads); returns now."""
        now = time.perf_counter()
        if self.timings is not None:
            with _TIMINGS_LOCK:
                self.timings[key] += now - since
        return now

    def __call__(self, items: List[dict]) -> List[tuple]:
        """Per item: its instances and the predictions dropped, by
        reason."""
        return self.submit(items)()

    def submit(self, items: List[dict]) -> Callable[[], List[tuple]]:
        """Start labeling ``items``; returns a function that gives what
        :meth:`__call__` gives. With CPU workers the items are queued to
        them, each image alone on one thread (forward, rules and encoding),
        and the function has a ``cancel()`` for the images not started
        yet: the loop queues the next batch before it writes this one, so
        no worker waits at the end of a batch. Otherwise the batch is
        labeled at once."""
        if self.workers is None:
            with torch.no_grad():
                out = self._label(items)
            return functools.partial(self._count, out, len(items))
        # grad mode is per thread
        return _Queued(
            self.workers.submit(
                torch.no_grad()(lambda it: self._label([it])[0]), items),
            functools.partial(self._count, n=len(items)))

    def _count(self, out: List[tuple], n: int) -> List[tuple]:
        if self.timings is not None:
            self.timings['images'] += n
        return out

    def _label(self, items: List[dict]) -> List[tuple]:
        """One forward pass of ``items`` (two with flip), then the rules."""
        t0 = time.perf_counter()
        results, pre_drops = self._forward(
            [it['inputs']['packed'] for it in items])
        flipped = self._forward([it['inputs']['flipped'] for it in items
                                 ])[0] if self.flip else [None] * len(items)
        if self.timings is not None:
            self._sync()
        t1 = self._add_time('forward_s', t0)
        out = []
        for it, res, res_f, pre in zip(items, results, flipped, pre_drops):
            pred = _as_dict(res.pred_instances)
            if res_f is not None:
                pred = merge_flip_predictions(
                    pred,
                    _as_dict(res_f.pred_instances),
                    it['width'],
                    self.flip_iou,
                    per_class=self.category_ids is not None)
            inst, dropped = select_instances(
                pred['bboxes'],
                pred['scores'],
                pred.get('masks'),
                delta=self.delta,
                max_per_image=self.max_per_image,
                min_size=self.min_size,
                labels=pred.get('labels'),
                category_ids=self.category_ids,
                keep_top=self.keep_top)
            dropped.update(pre)
            out.append((inst, +dropped))
        self._add_time('postprocess_s', t1)
        return out


class CamPredictor:
    """DAP's CAM labeler.

    Args:
        classifier: A module with ``normalize(x)`` (RGB 0-255 -> input),
            ``forward_features(x)`` -> (N, C, h, w) and ``cam_weights()`` ->
            (weight (K, C), bias (K, )), e.g.
            :class:`~mmcasp.models.EfficientNetLiteClassifier`.
        image_labels: Weakly supervised setting (DAP): an image's file name
            (``entry['file_name']``, as the image source lists it) -> the
            classifier's class indices it is labeled with; their CAMs give
            its boxes. Images it does not list are truly unlabeled and get
            the ``top_k`` predicted classes.
        top_k: Predicted classes per unlabeled image (0: no boxes for
            them).
        scales: Short sides the image is resized to (CAMs are averaged over
            scales and horizontal flips).
        flip: Also use the flipped image.
        relu: Clamp each CAM at 0 before averaging and normalising. DAP
            (Eq. 1) min-max normalises the raw CAM, negative evidence
            included, so the default is ``False``. ``True`` (a threshold τ
            then means τ x the maximum activation) was mmcasp's only
            behaviour up to 0.1.0; kept to reproduce those runs.
        thresholds, min_ratio, nms_iou: See :mod:`mmcasp.pseudo_labels.cam`.
        class_agnostic: Write one category ("object") and merge all classes'
            boxes with one more NMS at ``nms_iou``.
        category_ids: Classifier index -> category id of the output file
            (default index + 1).
        min_score: Drop boxes whose score (mean normalised activation in the
            component) is below this.
        fp16: Autocast to fp16 on GPU.
        batch_invariant: On a CPU, convolutions without oneDNN, whose
            results do not depend on the number of threads (processes of a
            distributed run use one each). Each image's forward runs alone,
            so its labels do not depend on its batch either.
    """

    def __init__(self,
                 classifier: torch.nn.Module,
                 image_labels: Optional[Dict[str, Sequence[int]]] = None,
                 top_k: int = 1,
                 scales: Sequence[int] = (288, 576),
                 flip: bool = True,
                 relu: bool = False,
                 thresholds: Sequence[float] = (0.2, 0.3, 0.4, 0.5),
                 min_ratio: float = 0.5,
                 nms_iou: float = 0.8,
                 class_agnostic: bool = False,
                 category_ids: Optional[Sequence[int]] = None,
                 min_score: float = 0.,
                 fp16: bool = False,
                 batch_invariant: bool = True) -> None:
        self.classifier = classifier.eval()
        self.batch_invariant = batch_invariant
        self.image_labels = image_labels
        self.top_k = top_k
        self.scales = tuple(scales)
        self.flip = flip
        self.relu = relu
        self.thresholds = tuple(thresholds)
        self.min_ratio = min_ratio
        self.nms_iou = nms_iou
        self.class_agnostic = class_agnostic
        self.category_ids = category_ids
        self.min_score = min_score
        self.fp16 = fp16
        self.device = next(classifier.parameters()).device

    def prepare(self, entry: dict, img: np.ndarray) -> List[torch.Tensor]:
        """BGR image -> one (3, h_s, w_s) RGB float tensor per scale."""
        h, w = img.shape[:2]
        rgb = img[..., ::-1]
        out = []
        for s in self.scales:
            r = s / min(h, w)
            size = (max(1, round(w * r)), max(1, round(h * r)))
            resized = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
            out.append(
                torch.from_numpy(np.ascontiguousarray(resized)).permute(
                    2, 0, 1).float())
        return out

    @torch.no_grad()
    def cams(self, scaled: List[torch.Tensor]):
        """CAMs of every class, averaged over scales and flips.

        Returns:
            tuple: cams (K, h, w) on the grid of the largest scale (the
            classifier weights applied to the features, no bias; clamped at
            0 with ``relu``) and class probabilities (K, ) from the
            averaged logits.
        """
        weight, bias = self.classifier.cam_weights()
        maps, logits = [], []
        grid = None
        for x in sorted(scaled, key=lambda t: -t.shape[-1] * t.shape[-2]):
            x = x.to(self.device)[None]
            if self.flip:
                x = torch.cat([x, x.flip(-1)])
            with _invariant_cpu(self.batch_invariant, self.device):
                with _autocast(self.fp16, self.device):
                    feats = self.classifier.forward_features(
                        self.classifier.normalize(x)).float()
                if self.flip:
                    feats = torch.stack([feats[0], feats[1].flip(-1)])
                logits.append(
                    feats.mean((2, 3)) @ weight.float().t() + bias.float())
                # a 1x1 convolution (einsum's batched GEMM on a CPU changes
                # the last bits with the number of threads)
                cam = F.conv2d(feats, weight.float()[:, :, None, None])
            if grid is None:
                grid = cam.shape[-2:]
            else:
                cam = F.interpolate(
                    cam, size=grid, mode='bilinear', align_corners=False)
            maps.append((cam.relu() if self.relu else cam).mean(0))
        cam = torch.stack(maps).mean(0)
        prob = torch.cat(logits).mean(0).softmax(-1)
        return cam, prob

    def _classes(self, entry: dict, prob: torch.Tensor) -> List[int]:
        labels = (self.image_labels or {}).get(entry.get('file_name'))
        if labels is not None:
            return sorted(set(labels))
        return prob.topk(min(self.top_k, prob.numel())).indices.tolist()

    def __call__(self, items: List[dict]) -> List[tuple]:
        out = []
        for it in items:
            cam, prob = self.cams(it['inputs'])
            dropped = Counter()
            boxes, scores, labels = [], [], []
            for c in self._classes(it['entry'], prob):
                b, s = cam_to_boxes(cam[c].cpu().numpy(), self.thresholds,
                                    self.min_ratio, self.nms_iou)
                b = scale_boxes(b, tuple(cam.shape[-2:]),
                                (it['height'], it['width']))
                boxes.append(b)
                scores.append(s)
                labels += [c] * len(s)
            if boxes:
                boxes, scores = np.concatenate(boxes), np.concatenate(scores)
            else:
                boxes, scores = np.zeros((0, 4)), np.zeros(0)
            labels = np.array(labels, dtype=np.int64)
            if self.class_agnostic and len(scores):
                keep = nms_keep(boxes, scores, self.nms_iou)
                dropped['class_agnostic_nms'] += len(scores) - len(keep)
                boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            inst = []
            for b, s, c in zip(boxes, scores, labels):
                if s < self.min_score or b[2] - b[0] < 1 or b[3] - b[1] < 1:
                    dropped['low_score_or_tiny'] += 1
                    continue
                if self.class_agnostic:
                    cat = 1
                elif self.category_ids is not None:
                    cat = int(self.category_ids[c])
                else:
                    cat = int(c) + 1
                inst.append(
                    dict(
                        bbox=xyxy_to_xywh(b), score=float(s), category_id=cat))
            out.append((inst, dropped))
        return out


#: :class:`CamPredictor` arguments that say what to label with, not how:
#: the caller decides them (the classifier, the images' labels and the
#: output's categories). Every other argument is a CAM rule.
CAM_INPUTS = ('classifier', 'image_labels', 'class_agnostic', 'category_ids')


def cam_rules() -> Dict[str, Any]:
    """The CAM rules (``top_k``, ``scales``, ``flip``, ``relu``,
    ``thresholds``, ``min_ratio``, ``nms_iou``, ``min_score``, ``fp16``,
    ``batch_invariant``) and their defaults: :class:`CamPredictor`'s
    signature, where they are stated once (the pipeline's ``cam``
    labeler, the CAM hook and ``tools/cam_pseudo_label.py`` read them
    here)."""
    params = inspect.signature(CamPredictor.__init__).parameters
    return {
        k: p.default
        for k, p in params.items() if k != 'self' and k not in CAM_INPUTS
    }
