# Copyright (c) mmcasp contributors. All rights reserved.
"""Score a pseudo-label file against ground truth of the same images."""
import contextlib
import io
from typing import Dict, Sequence

import numpy as np
import pycocotools.mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmcasp.evaluation.functional import collapse_coco_categories

__all__ = ['evaluate_pseudo_labels', 'precision_recall_at_iou']


def _coco(d: dict) -> COCO:
    coco = COCO()
    coco.dataset = d
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def precision_recall_at_iou(gt: dict,
                            pseudo: dict,
                            iou: float = 0.5,
                            class_agnostic: bool = True) -> Dict[str, float]:
    """Greedy one-to-one matching per image (highest score first), boxes.

    Crowd ground truth is neither a target nor a false positive: a pseudo
    box matched to nothing but overlapping a crowd region by >= ``iou``
    (intersection over the pseudo box) is ignored, as in COCOeval.

    Returns:
        dict: ``precision``, ``recall``, ``tp``, ``fp``, ``fn``.
    """
    gts: Dict[int, list] = {}
    for a in gt['annotations']:
        gts.setdefault(a['image_id'], []).append(a)
    preds: Dict[int, list] = {}
    for a in pseudo['annotations']:
        preds.setdefault(a['image_id'], []).append(a)
    tp = fp = fn = 0
    for img in gt['images']:
        g = gts.get(img['id'], [])
        p = sorted(
            preds.get(img['id'], []), key=lambda a: -a.get('score', 1.0))
        real = [a for a in g if not a.get('iscrowd', 0)]
        crowd = [a for a in g if a.get('iscrowd', 0)]
        if not p:
            fn += len(real)
            continue
        pb = np.array([a['bbox'] for a in p], dtype=np.float64)
        matched = set()
        if real:
            rb = np.array([a['bbox'] for a in real], dtype=np.float64)
            ious = mask_utils.iou(pb, rb, [0] * len(real))
        for i, a in enumerate(p):
            best, best_j = iou, -1
            for j, r in enumerate(real):
                if j in matched:
                    continue
                if not class_agnostic and r['category_id'] != \
                        a['category_id']:
                    continue
                if ious[i, j] >= best:
                    best, best_j = ious[i, j], j
            if best_j >= 0:
                matched.add(best_j)
                tp += 1
                continue
            if crowd:
                cb = np.array([c['bbox'] for c in crowd], dtype=np.float64)
                if mask_utils.iou(pb[i:i + 1], cb,
                                  [1] * len(crowd)).max() >= iou:
                    continue
            fp += 1
        fn += len(real) - len(matched)
    return dict(
        precision=tp / max(tp + fp, 1),
        recall=tp / max(tp + fn, 1),
        tp=tp,
        fp=fp,
        fn=fn)


def evaluate_pseudo_labels(
    pseudo: dict,
    gt: dict,
    class_agnostic: bool = True,
    iou: float = 0.5,
    iou_types: Sequence[str] = ('bbox', 'segm')
) -> Dict[str, float]:
    """COCO AP/AR of pseudo labels against ground truth, on the ground
    truth's images (images the labeler dropped count as all missed).

    Args:
        pseudo: A pseudo-label COCO dict (annotations need ``score``).
        gt: Ground-truth COCO dict of (a superset of) the same images.
        class_agnostic: Collapse both to one category (the papers'
            class-agnostic gap); else categories must share ids.
        iou: IoU of the precision/recall numbers.
        iou_types: ``bbox`` and/or ``segm`` (``segm`` only when the pseudo
            labels have masks).

    Returns:
        dict: ``{bbox,segm}_{AP,AP50,AP75,AR100}`` and ``precision@iou``,
        ``recall@iou``, counts.
    """
    if class_agnostic:
        gt = collapse_coco_categories(gt)
        pseudo = collapse_coco_categories(pseudo)
    gt_ids = {img['id'] for img in gt['images']}
    dets = [
        dict(a, score=a.get('score', 1.0)) for a in pseudo['annotations']
        if a['image_id'] in gt_ids
    ]
    out: Dict[str, float] = {}
    coco_gt = _coco(gt)
    for iou_type in iou_types:
        if iou_type == 'segm' and not all('segmentation' in d for d in dets):
            continue
        if not dets:
            out.update({
                f'{iou_type}_{k}': 0.0
                for k in ('AP', 'AP50', 'AP75', 'AR100')
            })
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt = coco_gt.loadRes(dets)
            ev = COCOeval(coco_gt, coco_dt, iou_type)
            ev.params.maxDets = [1, 10, 100]
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        s = ev.stats
        out.update({
            f'{iou_type}_AP': float(s[0]),
            f'{iou_type}_AP50': float(s[1]),
            f'{iou_type}_AP75': float(s[2]),
            f'{iou_type}_AR100': float(s[8])
        })
    sub = dict(pseudo, annotations=dets)
    pr = precision_recall_at_iou(gt, sub, iou, class_agnostic)
    out[f'precision@{iou}'] = pr['precision']
    out[f'recall@{iou}'] = pr['recall']
    out.update(tp=pr['tp'], fp=pr['fp'], fn=pr['fn'])
    return out
