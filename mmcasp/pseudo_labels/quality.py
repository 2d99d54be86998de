# Copyright (c) mmcasp contributors. All rights reserved.
"""Score a pseudo-label file against ground truth of the same images.

Images are paired by id, as COCOeval pairs them. :func:`check_comparable`
says, before any number is computed, when that pairing makes the numbers
meaningless (ground truth without annotations, no shared image, shared ids
naming different files)."""
import contextlib
import io
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmcasp.evaluation.functional import collapse_coco_categories
from mmcasp.utils.input_files import InputFileError

__all__ = [
    'evaluate_pseudo_labels', 'precision_recall_at_iou', 'match_images',
    'check_comparable', 'ComparisonError'
]


class ComparisonError(InputFileError):
    """A pseudo-label file and a ground-truth file whose comparison would
    give meaningless numbers (the message says why and what to give)."""


def _base_name(name: str) -> str:
    return osp.basename(str(name).replace('\\', '/'))


def match_images(pseudo: dict, gt: dict, max_examples: int = 3) -> dict:
    """How the images of two COCO dicts pair up when matched by id, as
    :func:`evaluate_pseudo_labels` matches them.

    Returns:
        dict: ``shared`` (ids in both), ``pseudo_only``, ``gt_only``
        (counts), ``renamed`` (shared ids whose files differ: base names
        of ``file_name`` compared, so that different image roots still
        match) and ``renamed_examples`` (up to ``max_examples`` tuples
        ``(id, pseudo file_name, gt file_name)``).
    """
    p_names = {img['id']: img.get('file_name') for img in pseudo['images']}
    g_names = {img['id']: img.get('file_name') for img in gt['images']}
    shared = [i for i in g_names if i in p_names]
    renamed = [(i, p_names[i], g_names[i]) for i in shared
               if p_names[i] is not None and g_names[i] is not None
               and _base_name(p_names[i]) != _base_name(g_names[i])]
    return dict(
        shared=len(shared),
        pseudo_only=len(p_names) - len(shared),
        gt_only=len(g_names) - len(shared),
        renamed=len(renamed),
        renamed_examples=renamed[:max_examples])


def _id_span(images: Sequence[dict]) -> str:
    ids = [img['id'] for img in images]
    return f'ids {min(ids)}..{max(ids)}' if ids else 'no image'


def check_comparable(pseudo: dict, gt: dict, pseudo_path: str,
                     gt_path: str) -> List[str]:
    """Refuse comparisons whose numbers would mean nothing; notes on the
    others.

    Raises:
        ComparisonError: ``gt`` has no annotation COCO AP counts (none, or
            only crowd regions): every AP would be -1 and no box missed;
            ``pseudo`` has images but none of them is an image of ``gt``
            (by id): nothing would be scored; or shared ids name different
            files (e.g. pseudo labels of a folder walk, numbered 1..N in
            name order, against a json's own ids): different images would
            be compared.

    Returns:
        list: Notes worth printing with the numbers (labeled images that
        ``gt`` does not have, ``gt`` images without pseudo labels).
    """
    anns = gt.get('annotations') or []
    if not any(not a.get('iscrowd', 0) for a in anns):
        what = 'only crowd regions (iscrowd=1, which COCO AP ignores)' \
            if anns else 'no annotations'
        raise ComparisonError(
            f'the ground-truth file {gt_path} has {what} '
            f"({len(gt['images'])} images): every AP would be -1 and no box "
            'could be missed; give the COCO file with the annotations of '
            'these images (an images-only list, such as an unlabeled '
            "split's json, has none)")
    m = match_images(pseudo, gt)
    if pseudo['images'] and not m['shared']:
        raise ComparisonError(
            f'no image of the pseudo-label file {pseudo_path} '
            f"({_id_span(pseudo['images'])}) is an image of the ground-truth "
            f"file {gt_path} ({_id_span(gt['images'])}): images are matched "
            'by id, so nothing would be scored; give the ground truth of the '
            'labeled images, or label the images of the ground-truth file '
            '(tools/pseudo_label.py --images GT.json --image-root ROOT keeps '
            'its ids)')
    if m['renamed']:
        i, p_name, g_name = m['renamed_examples'][0]
        raise ComparisonError(
            f'the pseudo-label file {pseudo_path} and the ground-truth file '
            f"{gt_path} give the same ids to different files ({m['renamed']} "
            f"of {m['shared']} shared ids, e.g. id {i}: {p_name} vs "
            f'{g_name}): images are matched by id, so different images '
            'would be compared; a folder walk numbers images 1..N by name, '
            'so label the images of the ground-truth file '
            '(tools/pseudo_label.py --images GT.json --image-root ROOT keeps '
            'its ids)')
    notes = []
    if not pseudo['images']:
        notes.append(f'{pseudo_path} keeps no image: every ground-truth box '
                     'counts as missed')
    elif m['gt_only']:
        notes.append(f"{m['gt_only']} of {len(gt['images'])} ground-truth "
                     'images have no pseudo label (dropped empty, or not '
                     'labeled): their boxes count as missed')
    if m['pseudo_only']:
        notes.append(f"{m['pseudo_only']} of {len(pseudo['images'])} "
                     f'pseudo-labeled images are not in {gt_path}: their '
                     'labels are not scored')
    return notes


def _coco(d: dict) -> COCO:
    coco = COCO()
    coco.dataset = d
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def _eval_annotations(anns: Sequence[dict], keep_ids: set,
                      class_agnostic: bool, is_gt: bool) -> List[dict]:
    """Copies of ``anns`` on ``keep_ids`` images as COCOeval reads them:
    ids 1..N (COCOeval's matches hold ids, 0 meaning none), ``area`` from
    the box (the one area range takes all), one category when
    ``class_agnostic``; crowd flags on ground truth, scores (default 1) on
    detections."""
    out = []
    for a in anns:
        if a['image_id'] not in keep_ids:
            continue
        x, y, w, h = a['bbox']
        b = dict(
            id=len(out) + 1,
            image_id=a['image_id'],
            category_id=1 if class_agnostic else a['category_id'],
            bbox=[x, y, w, h],
            area=w * h)
        if is_gt:
            b['iscrowd'] = int(a.get('iscrowd', 0))
        else:
            b.update(iscrowd=0, score=a.get('score', 1.0))
        out.append(b)
    return out


def precision_recall_at_iou(gt: dict,
                            pseudo: dict,
                            iou: float = 0.5,
                            class_agnostic: bool = True) -> Dict[str, float]:
    """Box precision and recall at one IoU, matched by pycocotools' COCOeval.

    The matching is COCOeval's (``evaluateImg`` with ``iouThrs=[iou]``, the
    one area range ``all`` and no cap on detections per image): per image
    (and per category unless ``class_agnostic``), detections are taken
    highest score first (ties in input order) and each is matched to the
    unmatched ground-truth box it overlaps most, if that IoU is >= ``iou``;
    a ground-truth box is matched at most once. A detection matched to
    nothing is a false positive, a ground-truth box left unmatched a false
    negative. Only images of ``gt['images']`` count: detections on other
    images are left out, images without detections count their boxes as
    missed.

    Crowd ground truth (``iscrowd=1``) is neither a target nor a false
    positive, as in COCOeval: it is never a false negative, and a detection
    matched to no real box but covering a crowd region by >= ``iou``
    (intersection over the detection's area; a crowd region can take any
    number of detections) is ignored. With ``class_agnostic=False`` a crowd
    region only covers detections of its own category. Fields COCOeval
    would also read are not used: ``area`` (taken from the box) and
    ``ignore`` (taken from ``iscrowd``).

    Args:
        gt: Ground-truth COCO dict (``images``, ``annotations`` with
            ``bbox``, ``image_id`` and, unless ``class_agnostic``,
            ``category_id``; ``iscrowd`` optional).
        pseudo: Detections: a COCO dict whose annotations have ``bbox``,
            ``image_id``, ``score`` (default 1) and, unless
            ``class_agnostic``, ``category_id``.
        iou: The IoU threshold.
        class_agnostic: Match across categories (COCOeval's
            ``useCats=0``); else only within a category (``useCats=1``).

    Returns:
        dict: ``precision`` (tp / (tp + fp), 0 without detections),
        ``recall`` (tp / (tp + fn), 0 without targets), ``tp``, ``fp``,
        ``fn``.
    """
    img_ids = [img['id'] for img in gt['images']]
    keep = set(img_ids)
    gt_anns = _eval_annotations(gt['annotations'], keep, class_agnostic, True)
    dt_anns = _eval_annotations(pseudo['annotations'], keep, class_agnostic,
                                False)
    cat_ids = sorted({a['category_id'] for a in gt_anns + dt_anns} or {1})
    categories = [dict(id=c, name=str(c)) for c in cat_ids]
    images = [dict(id=i) for i in img_ids]
    coco_gt = _coco(
        dict(images=images, annotations=gt_anns, categories=categories))
    coco_dt = _coco(
        dict(images=images, annotations=dt_anns, categories=categories))
    ev = COCOeval(coco_gt, coco_dt, 'bbox')
    p = ev.params
    p.imgIds = img_ids
    p.catIds = cat_ids
    p.useCats = 0 if class_agnostic else 1
    p.iouThrs = np.array([iou], dtype=np.float64)
    p.areaRng = [[0.0, float('inf')]]
    p.areaRngLbl = ['all']
    p.maxDets = [max(1, len(dt_anns))]
    with contextlib.redirect_stdout(io.StringIO()):
        ev.evaluate()
    tp = fp = targets = 0
    for e in ev.evalImgs:
        if e is None:  # no box and no detection of this image (category)
            continue
        real = np.logical_not(np.asarray(e['gtIgnore'], dtype=bool))
        tp += int(np.logical_and(e['gtMatches'][0] > 0, real).sum())
        targets += int(real.sum())
        # not ignored = matched to a real box (tp) or to nothing (fp)
        fp += int(np.logical_not(e['dtIgnore'][0]).sum())
    fp -= tp
    fn = targets - tp
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
