# Copyright (c) mmcasp contributors. All rights reserved.
"""The record format: one image's labels as one JSON object.

``dict(id, file_name, height, width, instances=[dict(bbox=[x, y, w, h],
score, category_id[, segmentation (RLE), area, iscrowd])])``, or
``dict(id, file_name, skipped=reason)`` for an image that could not be
labeled. Labeling writes such records (plus ``dropped``, the predictions
its rules dropped, by reason); a store keeps them normalised
(:func:`store_record`: numbers rounded as the COCO file rounds them), and
:func:`coco_annotation` turns an instance into the COCO annotation that
:func:`~mmcasp.pseudo_labels.build_pseudo_coco`, the store's export and
:class:`~mmcasp.datasets.PseudoLabelDataset` all use, so that the three
give the same numbers.
"""
import math
from typing import Collection, List, Optional

import numpy as np

from mmcasp.utils.input_files import _segmentation_problem

__all__ = [
    'record_problem', 'store_instance', 'store_record', 'coco_annotation',
    'coco_annotations', 'coco_image'
]

#: Instance keys a store keeps besides bbox, score, category_id, area.
OPTIONAL_KEYS = ('segmentation', 'iscrowd', 'ignore')


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and \
        math.isfinite(v)


def _instance_problem(i: int, ins,
                      category_ids: Optional[Collection[int]]) -> str:
    if not isinstance(ins, dict):
        return f'instances[{i}] is not an object'
    box = ins.get('bbox')
    if not (isinstance(box, list) and len(box) == 4
            and all(map(_is_number, box)) and box[2] >= 0 and box[3] >= 0):
        return (f'instances[{i}]: "bbox" must be [x, y, width, height] '
                'with width, height >= 0')
    if not _is_number(ins.get('score')):
        return f'instances[{i}]: "score" must be a number'
    cat = ins.get('category_id')
    if not _is_int(cat) or (category_ids is not None
                            and cat not in category_ids):
        return (f'instances[{i}]: "category_id" {cat!r} is not the id of '
                f'a category ({sorted(category_ids or [])})')
    if 'segmentation' in ins:
        why = _segmentation_problem(ins['segmentation'])
        if why:
            return f'instances[{i}]: "segmentation" {why}'
    if 'area' in ins and not _is_number(ins['area']):
        return f'instances[{i}]: "area" must be a number'
    return ''


def _looks_valid(rec: dict, category_ids: Optional[Collection[int]]) -> bool:
    """A fast check that a record is valid (boxes, scores and areas as
    one numpy array); ``False`` leaves the verdict to the field-by-field
    check, which also says what is wrong."""
    try:
        if type(rec['id']) is not int or type(rec['file_name']) is not str \
                or not rec['file_name']:
            return False
        if rec.get('skipped'):
            return type(rec['skipped']) is str
        h, w, inst = rec['height'], rec['width'], rec.get('instances', [])
        if type(h) is not int or type(w) is not int or h <= 0 or w <= 0 \
                or type(inst) is not list:
            return False
        if not inst:
            return True
        nums = np.array([
            ins['bbox'] + [ins['score'], ins.get('area', 0.0)] for ins in inst
        ])
        if nums.dtype.kind not in 'if' or nums.shape != (len(inst), 6) \
                or not np.isfinite(nums).all() or (nums[:, 2:4] < 0).any():
            return False
        cats = {ins['category_id'] for ins in inst}
        if any(type(c) is not int
               for c in cats) or (category_ids is not None
                                  and not cats <= set(category_ids)):
            return False
        for ins in inst:
            seg = ins.get('segmentation')
            if seg is None:
                continue
            if type(seg) is not dict or type(seg.get('counts')) not in (
                    str, list) or type(seg.get('size')) is not list or len(
                        seg['size']) != 2 or type(seg['size'][0]) is not int \
                    or type(seg['size'][1]) is not int:
                return False
        return True
    except (KeyError, TypeError, ValueError, AttributeError):
        return False


def record_problem(rec: dict,
                   category_ids: Optional[Collection[int]] = None) -> str:
    """What is wrong with a record (``''``: nothing).

    Args:
        rec: A parsed record.
        category_ids: The categories instances may name (``None``: any
            integer).
    """
    if _looks_valid(rec, category_ids):
        return ''
    if not _is_int(rec.get('id')):
        return '"id" must be an integer'
    name = rec.get('file_name')
    if not isinstance(name, str) or not name:
        return '"file_name" must be the image path relative to the root'
    if rec.get('skipped'):
        return '' if isinstance(rec['skipped'], str) else \
            '"skipped" must be a reason (a string)'
    for key in ('height', 'width'):
        if not (_is_int(rec.get(key)) and rec[key] > 0):
            return f'"{key}" must be a positive integer'
    instances = rec.get('instances', [])
    if not isinstance(instances, list):
        return '"instances" must be a list'
    for i, ins in enumerate(instances):
        why = _instance_problem(i, ins, category_ids)
        if why:
            return why
    return ''


def store_instance(ins: dict) -> dict:
    """An instance as a store keeps it: box rounded to 0.01 px, score to
    1e-5, ``area`` (given, else the box's) as a float; segmentation and
    truthy ``iscrowd`` / ``ignore`` kept; everything else dropped."""
    box = ins['bbox']
    out = dict(
        bbox=[round(float(v), 2) for v in box],
        score=round(float(ins['score']), 5),
        category_id=ins['category_id'],
        area=float(ins.get('area', box[2] * box[3])))
    for key in OPTIONAL_KEYS:
        if ins.get(key):
            out[key] = ins[key]
    return out


def store_record(rec: dict) -> dict:
    """A record as a store keeps it (see :func:`store_instance`); the
    labeling run's ``dropped`` counts are left to the statistics."""
    if rec.get('skipped'):
        return dict(
            id=rec['id'], file_name=rec['file_name'], skipped=rec['skipped'])
    return dict(
        id=rec['id'],
        file_name=rec['file_name'],
        height=rec['height'],
        width=rec['width'],
        instances=[store_instance(i) for i in rec.get('instances', [])])


def coco_image(rec: dict) -> dict:
    """The COCO ``images`` entry of a record."""
    return dict(
        id=rec['id'],
        file_name=rec['file_name'],
        height=rec['height'],
        width=rec['width'])


def coco_annotation(ins: dict, ann_id: int, image_id: int) -> dict:
    """The COCO annotation of an instance (a store's or a labeling
    record's: the rounding of :func:`store_instance` is applied either
    way, so both give the same dict)."""
    box = ins['bbox']
    ann = dict(
        id=ann_id,
        image_id=image_id,
        category_id=ins['category_id'],
        bbox=[round(float(v), 2) for v in box],
        area=float(ins.get('area', box[2] * box[3])),
        score=round(float(ins['score']), 5),
        iscrowd=int(bool(ins.get('iscrowd', 0))))
    if 'segmentation' in ins:
        ann['segmentation'] = ins['segmentation']
    if ins.get('ignore'):
        ann['ignore'] = ins['ignore']
    return ann


def coco_annotations(rec: dict, first_id: int) -> List[dict]:
    """The COCO annotations of a record's instances, numbered from
    ``first_id``."""
    return [
        coco_annotation(ins, first_id + k, rec['id'])
        for k, ins in enumerate(rec.get('instances', []))
    ]
