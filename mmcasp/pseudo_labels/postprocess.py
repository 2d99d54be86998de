# Copyright (c) mmcasp contributors. All rights reserved.
"""Detector predictions -> kept pseudo-label instances.

Pure functions on tensors (CPU or GPU) or numpy arrays. The filtering runs
on the device the predictions are on; only the masks that are kept leave
it: on a GPU as run boundaries computed there, on a CPU transposed so that
all of an image's masks are RLE-encoded by one pycocotools call.
"""
from collections import Counter
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import pycocotools.mask as mask_utils
import torch
import torch.nn.functional as F
from mmcv.ops import batched_nms, nms
from mmdet.models.utils.misc import aligned_bilinear, relative_coordinate_maps

from .coco_io import xyxy_to_xywh
from .labeling_settings import LabelingSettings

__all__ = [
    'box_filter', 'select_instances', 'condinst_mask_logits',
    'paste_condinst_masks', 'upsample_mask_probs', 'mask_chunks',
    'merge_flip_predictions', 'encode_masks', 'rle_from_change_points'
]

ArrayLike = Union[np.ndarray, torch.Tensor]


def encode_masks(masks: torch.Tensor) -> List[dict]:
    """(N, H, W) bool masks (any device) -> N COCO RLEs with str counts.

    CUDA masks are run-length encoded on the GPU
    (:func:`rle_from_change_points`): only the run boundaries are copied to
    the host instead of N x H x W bytes, and pycocotools only compresses the
    counts. CPU masks go to ``pycocotools.mask.encode`` directly (faster
    there). Both give identical RLEs.
    """
    if len(masks) == 0:
        return []
    if masks.is_cuda:
        return rle_from_change_points(masks)
    # (N, W, H) C-order == (H, W, N) Fortran-order: what pycocotools wants
    fortran = masks.transpose(1, 2).contiguous().to(
        'cpu', torch.uint8).numpy().transpose(2, 1, 0)
    rles = mask_utils.encode(fortran)
    for rle in rles:
        rle['counts'] = rle['counts'].decode('ascii')
    return rles


def condinst_mask_logits(head, mask_feat: torch.Tensor, info) -> torch.Tensor:
    """``CondInstMaskHead.forward_single`` of mmdet with its dynamic
    convolution (1x1 layers, one group per instance) as batched matrix
    products: (K, h, w) mask logits at ``mask_out_stride`` of one image.

    mmdet runs the dynamic layers as one grouped ``conv2d``; on a CPU
    without oneDNN that is a loop of small per-group GEMMs, and with oneDNN
    its results change with the number of threads. ``torch.baddbmm`` does
    the same per-instance GEMMs in one call (bit-identical to the
    per-group path in our tests) and is independent of the threads.

    Args:
        head: The model's ``CondInstMaskHead``.
        mask_feat: (C, H, W) mask features of the image.
        info: The image's box-head results (``param_preds``, ``points``,
            ``strides``), one row per instance.
    """
    params = info.get('param_preds')
    k = params.shape[0]
    _, h, w = mask_feat.shape
    if k == 0:
        return mask_feat.new_zeros(
            (0, h * head.mask_feat_stride // head.mask_out_stride,
             w * head.mask_feat_stride // head.mask_out_stride))
    locations = head.prior_generator.single_level_grid_priors(
        (h, w), 0, device=mask_feat.device)
    rel_coords = relative_coordinate_maps(locations, info.get('points'),
                                          info.get('strides'),
                                          head.size_of_interest, (h, w))
    x = torch.cat([rel_coords, mask_feat[None].expand(k, -1, -1, -1)],
                  dim=1).reshape(k, -1, h * w)
    weights, biases = head.parse_dynamic_params(params)
    for i, (wt, b) in enumerate(zip(weights, biases)):
        wt = wt.reshape(k, -1, wt.shape[1])  # (K, out, in)
        x = torch.baddbmm(b.reshape(k, -1, 1), wt, x)
        if i < len(weights) - 1:
            x = x.relu()
    return aligned_bilinear(
        x.reshape(1, k, h, w),
        int(head.mask_feat_stride / head.mask_out_stride))[0]


#: CPU masks are pasted this many bytes of upsampled probabilities at a
#: time (one mask at the COCO test scale: 800 x 1088 x 4 bytes = 3.5 MB):
#: the intermediate stays small and its memory is reused. Measured on an
#: R-50 labeler at 800 px (one thread, about 70 masks per image): 0.16 s
#: per image one mask at a time, 0.29 s all at once.
CPU_PASTE_CHUNK_BYTES = 4 * 2**20

#: PyTorch's CPU bilinear resize of NCHW float tensors takes its separable
#: kernel (other roundings) for outputs with height + width at most this,
#: and for exactly 3 channels on one thread; the generic kernel otherwise.
_SEPARABLE_MAX_HW = 128


def mask_chunks(n: int, size: int) -> List[Tuple[int, int]]:
    """``[start, stop)`` ranges of at most ``size`` items covering
    ``range(n)``, none of exactly 3 items: on one thread (a labeling
    worker) PyTorch resizes 3 channels with its separable kernel, so a
    chunk of 3 masks would get other last bits than mmdet's call on all of
    an image's masks."""
    size = 2 if size == 3 else max(1, size)
    bounds = list(range(0, n, size)) + [n]
    if n and n - bounds[-2] == 3:
        bounds.insert(-1, n - 1)
    return list(zip(bounds[:-1], bounds[1:]))


def upsample_mask_probs(prob: torch.Tensor, factor: int,
                        img_shape: Tuple[int, int]) -> torch.Tensor:
    """mmdet's ``aligned_bilinear(prob, factor)`` cropped to ``img_shape``,
    bit for bit, without its second full-size copy.

    ``aligned_bilinear`` pads the bottom and right by one (replicate),
    upsamples with ``align_corners=True`` (scale exactly ``1 / factor``),
    then pads the top and left by ``factor // 2`` (a copy of the whole
    upsampled tensor) and crops. For a power-of-two factor this pads the
    input by one on every side instead: every output's source coordinate
    moves by exactly 1, so it reads the same inputs with the same weights
    and gets the same value, and the upsampled tensor is only cropped (a
    view). The ``factor // 2`` rows and columns the top/left pad replicates
    are the row and column at coordinate 0, copied in place (their blends
    with the new pad row could differ in the last bit). Other factors, and
    outputs small enough for PyTorch to resize them with its separable
    kernel (height + width <= 128, another kernel for a larger shifted
    output), go through ``aligned_bilinear`` itself.

    Args:
        prob: (N, K, h, w).
        factor: Upsampling factor, a positive integer.
        img_shape: (H, W) to crop to, at most ``factor * (h, w)``.

    Raises:
        ValueError: ``factor`` is not a positive integer, or ``img_shape``
            exceeds the upsampled size.
    """
    if factor < 1 or int(factor) != factor:
        raise ValueError(f'factor must be a positive integer, got {factor}')
    factor = int(factor)
    img_h, img_w = img_shape
    h, w = prob.shape[-2:]
    if img_h > factor * h or img_w > factor * w:
        raise ValueError(f'img_shape {tuple(img_shape)} exceeds the '
                         f'upsampled size {(factor * h, factor * w)}')
    if (factor == 1 or factor & (factor - 1)
            or factor * (h + w) + 2 <= _SEPARABLE_MAX_HW):
        return aligned_bilinear(prob, factor)[..., :img_h, :img_w]
    up = F.interpolate(
        F.pad(prob, pad=(1, 1, 1, 1), mode='replicate'),
        size=(factor * (h + 1) + 1, factor * (w + 1) + 1),
        mode='bilinear',
        align_corners=True)
    first = factor - factor // 2  # output row/column 0
    up[..., first:factor, :] = up[..., factor:factor + 1, :]
    up[..., first:factor] = up[..., factor:factor + 1]
    return up[..., first:first + img_h, first:first + img_w]


def paste_condinst_masks(mask_preds: torch.Tensor, img_shape: Tuple[int, int],
                         ori_shape: Tuple[int, int], mask_out_stride: int,
                         mask_thr: float) -> torch.Tensor:
    """CondInst mask logits -> bool masks on the original image.

    The operations of mmdet's ``CondInstMaskHead._predict_by_feat_single``
    (``rescale=True``), so the masks are the same: sigmoid,
    ``aligned_bilinear`` by ``mask_out_stride`` and crop to ``img_shape``
    (:func:`upsample_mask_probs`, same values), bilinear resize to
    ``ori_shape``, ``> mask_thr``. Masks that cannot reach ``mask_thr`` are
    left empty without being resized; on a CPU the others are resized a
    few at a time (:data:`CPU_PASTE_CHUNK_BYTES`, :func:`mask_chunks`),
    each mask's values independent of the others' (the values of mmdet's
    call with PyTorch's generic resize kernel, which it takes with more
    than one thread or other than 3 masks). The last step writes into a
    transposed buffer, so the result is an (K, H, W) view of (K, W, H)
    contiguous memory, the column-major order that :func:`encode_masks`
    (pycocotools and :func:`rle_from_change_points`) reads without another
    copy.

    Args:
        mask_preds: (K, h, w) logits at ``mask_out_stride`` of the padded
            input.
        img_shape: (h, w) of the resized (unpadded) input.
        ori_shape: (H, W) of the original image.
        mask_out_stride: Upsampling factor to the input resolution.
        mask_thr: Probability threshold.
    """
    ori_h, ori_w = ori_shape
    out = torch.zeros((len(mask_preds), ori_w, ori_h),
                      dtype=torch.bool,
                      device=mask_preds.device)
    prob = mask_preds.sigmoid()
    # Both resizes are bilinear: every output is a convex combination of
    # inputs, so it cannot exceed the largest input (up to a few float
    # roundings, ~1e-7 here). A mask whose probabilities all stay below
    # mask_thr - 1e-5 is empty at every size: skip its resizing.
    live = (prob.flatten(1).amax(1) > mask_thr - 1e-5).nonzero()[:, 0] \
        if len(prob) else prob.new_zeros(0, dtype=torch.long)
    per_chunk = len(live)
    if not prob.is_cuda:
        per_mask = 4 * img_shape[0] * img_shape[1]
        per_chunk = max(1, CPU_PASTE_CHUNK_BYTES // per_mask)
    for start, stop in mask_chunks(len(live), per_chunk):
        idx = live[start:stop]
        m = upsample_mask_probs(prob[idx][None], mask_out_stride, img_shape)
        m = F.interpolate(
            m, (ori_h, ori_w), mode='bilinear', align_corners=False)[0]
        out[idx] = m.transpose(1, 2) > mask_thr
    return out.transpose(1, 2)


def rle_from_change_points(masks: torch.Tensor) -> List[dict]:
    """(N, H, W) bool masks -> N COCO RLEs (str counts), computed where the
    masks are: the positions where the column-major pixel sequence changes
    value are found on the masks' device, and only those (and each mask's
    first pixel) go to the host, where the run lengths are their
    differences (a run of zeros first, 0 long if the mask starts with a
    one) and ``pycocotools.mask.frPyObjects`` compresses them."""
    n, h, w = masks.shape
    if n == 0:
        return []
    flat = masks.bool().transpose(1, 2).reshape(n, h * w)  # column-major
    change = (flat[:, 1:] != flat[:, :-1]).nonzero().cpu().numpy()
    first = flat[:, 0].cpu().numpy()
    per_mask = np.bincount(change[:, 0], minlength=n)
    bounds = np.split(change[:, 1] + 1, np.cumsum(per_mask)[:-1])
    objs = []
    for i in range(n):
        runs = np.diff(np.concatenate(([0], bounds[i], [h * w])))
        if first[i]:
            runs = np.concatenate(([0], runs))
        objs.append(dict(counts=runs.tolist(), size=[h, w]))
    rles = mask_utils.frPyObjects(objs, h, w)
    for rle in rles:
        rle['counts'] = rle['counts'].decode('ascii')
    return rles


def box_filter(
    bboxes: torch.Tensor,
    scores: torch.Tensor,
    delta: float = LabelingSettings.delta,
    min_size: float = LabelingSettings.min_size,
    keep_top: bool = LabelingSettings.keep_top
) -> Tuple[torch.Tensor, Counter]:
    """CaSP's rules that need no mask, on the predictions' device.

    Args:
        bboxes: (N, 4) xyxy in original image pixels.
        scores: (N, ) objectness.
        delta: Keep score > delta, compared in the scores' precision.
        min_size: Drop boxes whose width or height is below
            ``max(min_size, 1)`` pixels (mmdet's COCO loading drops boxes
            under one pixel).
        keep_top: Also keep the highest-scoring box of those passing
            ``min_size`` (the first one on a tie), whatever its score
            (DAP's self-training rule).

    Returns:
        tuple: bool keep (N, ) and a Counter of drops (``below_delta``,
        ``too_small``).
    """
    ok = scores > torch.tensor(delta, dtype=scores.dtype)
    wh = bboxes[:, 2:] - bboxes[:, :2]
    big = (wh >= max(float(min_size), 1.0)).all(1)
    if keep_top and bool(big.any()):
        top = torch.where(big, scores, scores.new_tensor(-float('inf')))
        ok = ok.clone()
        ok[int(top.argmax())] = True
    dropped = Counter(below_delta=int((~ok).sum()))
    dropped['too_small'] = int((ok & ~big).sum())
    return ok & big, dropped


def select_instances(
        bboxes: ArrayLike,
        scores: ArrayLike,
        masks: Optional[ArrayLike] = None,
        delta: float = LabelingSettings.delta,
        max_per_image: int = LabelingSettings.max_per_image,
        min_size: float = LabelingSettings.min_size,
        category_id: int = 1,
        labels: Optional[ArrayLike] = None,
        category_ids: Optional[Sequence[int]] = None,
        keep_top: bool = LabelingSettings.keep_top
) -> Tuple[List[dict], Counter]:
    """Apply CaSP's rules to one image's predictions.

    Args:
        bboxes: (N, 4) xyxy in original image pixels.
        scores: (N, ) objectness in [0, 1].
        masks: (N, H, W) bool masks in original image pixels, or ``None``.
        delta: Keep predictions with score > delta (0.2 in CaSP), compared
            in the scores' precision.
        max_per_image: Keep at most this many, highest scores first.
        min_size: Drop boxes whose width or height is below this (pixels);
            at least 1, since mmdet's COCO loading drops boxes under one
            pixel, which would silently lose the label in training.
        category_id: Category id written for every instance
            (class-agnostic pseudo labels).
        labels: (N, ) class indices of the predictions, with
            ``category_ids`` (class index -> category id): class-specific
            pseudo labels (the papers' "Objects(P,S)" ablation) instead of
            ``category_id``.
        keep_top: Also keep the image's highest-scoring prediction (see
            :func:`box_filter`).

    Returns:
        tuple: instances ``dict(bbox=[x, y, w, h], score, category_id[,
        segmentation (RLE, str counts), area])`` sorted by score, and a
        Counter of dropped predictions by reason (``below_delta``,
        ``too_small``, ``empty_mask``, ``over_max``).

    Masks on a GPU: areas are counted there and only non-empty kept masks
    are encoded (:func:`encode_masks`). On a CPU the masks that pass the
    box rules are encoded in one pycocotools call and areas are read from
    the RLEs (``pycocotools.mask.area``), which is exact and avoids a pass
    over every pixel.
    """
    scores = torch.as_tensor(scores)
    bboxes = torch.as_tensor(bboxes, device=scores.device).float()
    if masks is not None:
        masks = torch.as_tensor(masks, device=scores.device).bool()
    ok, dropped = box_filter(bboxes, scores, delta, min_size, keep_top)
    cand = ok.nonzero()[:, 0]
    order = scores[cand].argsort(descending=True, stable=True)
    idx = cand[order]
    rles = areas = None
    if masks is not None and masks.is_cuda:
        area = masks[idx].flatten(1).sum(1)
        dropped['empty_mask'] = int((area == 0).sum())
        idx, area = idx[area > 0], area[area > 0]
        dropped['over_max'] = max(len(idx) - max_per_image, 0)
        idx, areas = idx[:max_per_image], area[:max_per_image].cpu().numpy()
        rles = encode_masks(masks[idx])
    elif masks is not None:
        # encode in candidate order (no gather when all are candidates),
        # then reorder the RLE list by score
        sub = masks if len(cand) == len(masks) else masks[cand]
        rles = encode_masks(sub)
        order = order.numpy()
        area = mask_utils.area(rles)[order] if rles else np.zeros(0)
        rles = [rles[j] for j in order]
        nonempty = np.flatnonzero(area > 0)
        dropped['empty_mask'] = len(idx) - len(nonempty)
        dropped['over_max'] = max(len(nonempty) - max_per_image, 0)
        nonempty = nonempty[:max_per_image]
        idx = idx[torch.from_numpy(nonempty)]
        areas, rles = area[nonempty], [rles[j] for j in nonempty]
    else:
        dropped['over_max'] = max(len(idx) - max_per_image, 0)
        idx = idx[:max_per_image]
    dropped = Counter({k: v for k, v in dropped.items() if v})
    boxes = bboxes[idx].cpu().numpy()
    kept_scores = scores[idx].float().cpu().numpy()
    cats = [category_id] * len(idx)
    if labels is not None and category_ids is not None:
        lab = torch.as_tensor(labels, device=scores.device)[idx].cpu()
        cats = [int(category_ids[int(c)]) for c in lab]
    out = []
    for i in range(len(idx)):
        inst = dict(
            bbox=xyxy_to_xywh(boxes[i]),
            score=float(kept_scores[i]),
            category_id=cats[i])
        if rles is not None:
            inst['segmentation'] = rles[i]
            inst['area'] = float(areas[i])
        out.append(inst)
    return out, dropped


def merge_flip_predictions(pred: dict,
                           pred_flip: dict,
                           width: int,
                           iou_threshold: float = 0.6,
                           max_num: int = 1000,
                           per_class: bool = False) -> dict:
    """Horizontal-flip test-time augmentation for one image.

    Args:
        pred: ``dict(bboxes (N, 4) xyxy, scores (N, )[, masks (N, H, W)][,
            labels (N, )])`` on the original image (tensors or numpy).
        pred_flip: The same on the horizontally flipped image.
        width: Image width in pixels.
        iou_threshold: NMS IoU over the union.
        max_num: Keep at most this many.
        per_class: A box suppresses only boxes of its own class (mmcv's
            ``batched_nms`` on ``labels``, which both must hold) and the
            labels are kept: class-specific pseudo labels (DAP's
            self-training). ``False``: one class-agnostic NMS (CaSP's
            labels), whatever classes the model predicts.

    Returns:
        dict: Merged predictions (tensors) in the original image's
        coordinates, highest score first.
    """
    scores_a = torch.as_tensor(pred['scores']).float()
    dev = scores_a.device
    fb = torch.as_tensor(pred_flip['bboxes'], device=dev).float().clone()
    fb[:, [0, 2]] = width - fb[:, [2, 0]]
    bboxes = torch.cat(
        [torch.as_tensor(pred['bboxes'], device=dev).float(), fb])
    scores = torch.cat(
        [scores_a,
         torch.as_tensor(pred_flip['scores'], device=dev).float()])
    labels = None
    if per_class:
        if 'labels' not in pred or 'labels' not in pred_flip:
            raise ValueError('per_class: both predictions need labels')
        labels = torch.cat([
            torch.as_tensor(pred['labels'], device=dev),
            torch.as_tensor(pred_flip['labels'], device=dev)
        ])
    if len(scores) == 0:
        keep = torch.zeros(0, dtype=torch.long, device=dev)
    elif labels is None:
        _, keep = nms(bboxes, scores, iou_threshold)
    else:
        _, keep = batched_nms(bboxes, scores, labels,
                              dict(type='nms', iou_threshold=iou_threshold))
    keep = keep[:max_num]
    merged = dict(bboxes=bboxes[keep], scores=scores[keep])
    if labels is not None:
        merged['labels'] = labels[keep]
    if 'masks' in pred and 'masks' in pred_flip:
        masks = torch.cat([
            torch.as_tensor(pred['masks'], device=dev),
            torch.as_tensor(pred_flip['masks'], device=dev).flip(-1)
        ])
        merged['masks'] = masks[keep]
    return merged
