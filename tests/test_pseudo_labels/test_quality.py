# Copyright (c) mmcasp contributors. All rights reserved.
import json

import pytest

from mmcasp.pseudo_labels import (evaluate_pseudo_labels,
                                  precision_recall_at_iou)


def _box(ann_id, bbox, score=None, category_id=1, iscrowd=0):
    a = dict(
        id=ann_id,
        image_id=1,
        category_id=category_id,
        bbox=bbox,
        area=bbox[2] * bbox[3],
        iscrowd=iscrowd)
    if score is not None:
        a['score'] = score
    return a


def test_pseudo_label_quality_against_ground_truth():
    gt = dict(
        images=[dict(id=1, width=50, height=40)],
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=1,
                bbox=[0, 0, 10, 10],
                area=100,
                iscrowd=0),
            dict(
                id=2,
                image_id=1,
                category_id=2,
                bbox=[20, 20, 10, 10],
                area=100,
                iscrowd=0)
        ],
        categories=[dict(id=1, name='a'),
                    dict(id=2, name='b')])
    perfect = json.loads(json.dumps(gt))
    for a in perfect['annotations']:
        a['score'] = 0.9
    res = evaluate_pseudo_labels(perfect, gt, iou_types=('bbox', ))
    assert res['bbox_AP'] == pytest.approx(1.0)
    assert res['precision@0.5'] == 1.0 and res['recall@0.5'] == 1.0
    # right boxes, wrong classes: agnostic perfect, class-specific not
    for a in perfect['annotations']:
        a['category_id'] = 3 - a['category_id']
    spec = evaluate_pseudo_labels(
        perfect, gt, class_agnostic=False, iou_types=('bbox', ))
    assert spec['recall@0.5'] == 0.0
    # one hit, one miss, one false positive
    half = dict(
        perfect,
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=1,
                bbox=[0, 0, 10, 10],
                score=0.9,
                area=100),
            dict(
                id=2,
                image_id=1,
                category_id=1,
                bbox=[40, 0, 5, 5],
                score=0.8,
                area=25)
        ])
    res = evaluate_pseudo_labels(half, gt, iou_types=('bbox', ))
    assert res['precision@0.5'] == 0.5 and res['recall@0.5'] == 0.5
    assert (res['tp'], res['fp'], res['fn']) == (1, 1, 1)


def test_precision_recall_hand_computed_with_a_duplicate():
    """2 ground-truth boxes, 3 detections, one of them a duplicate.

    g1 = [0, 0, 10, 10], g2 = [20, 20, 10, 10]. d_dup = [1, 0, 10, 10]
    (score 0.95, IoU 90 / 110 = 0.818 with g1), d_exact = g1 (0.9, IoU 1),
    d2 = [21, 20, 10, 10] (0.7, IoU 0.818 with g2). Highest score first:
    at IoU 0.5 d_dup takes g1, d_exact finds g1 taken (a duplicate: fp),
    d2 takes g2: tp 2, fp 1, fn 0. At IoU 0.85 d_dup and d2 match nothing
    and d_exact takes g1: tp 1, fp 2, fn 1.
    """
    gt = dict(
        images=[dict(id=1, width=50, height=40)],
        annotations=[_box(1, [0, 0, 10, 10]),
                     _box(2, [20, 20, 10, 10])],
        categories=[dict(id=1, name='object')])
    dets = dict(annotations=[
        _box(1, [21, 20, 10, 10], 0.7),
        _box(2, [0, 0, 10, 10], 0.9),
        _box(3, [1, 0, 10, 10], 0.95)
    ])
    res = precision_recall_at_iou(gt, dets, 0.5)
    assert res == dict(precision=2 / 3, recall=1.0, tp=2, fp=1, fn=0)
    res = precision_recall_at_iou(gt, dets, 0.85)
    assert res == dict(precision=1 / 3, recall=0.5, tp=1, fp=2, fn=1)
    # class-specific: d2 of another category misses g2
    dets['annotations'][0]['category_id'] = 2
    res = precision_recall_at_iou(gt, dets, 0.5, class_agnostic=False)
    assert res == dict(precision=1 / 3, recall=0.5, tp=1, fp=2, fn=1)
    assert precision_recall_at_iou(gt, dets, 0.5)['tp'] == 2
    # no detections: everything missed; no image: nothing counted
    assert precision_recall_at_iou(gt, dict(annotations=[])) == dict(
        precision=0.0, recall=0.0, tp=0, fp=0, fn=2)
    assert precision_recall_at_iou(dict(gt, images=[], annotations=[]),
                                   dets) == dict(
                                       precision=0.0,
                                       recall=0.0,
                                       tp=0,
                                       fp=0,
                                       fn=0)


def test_crowd_ground_truth_is_ignored():
    """A crowd region is no target, and a detection inside it (by area of
    the detection) is no false positive; a real box still takes its match
    first."""
    gt = dict(
        images=[dict(id=1, width=100, height=100)],
        annotations=[
            _box(1, [0, 0, 10, 10]),
            _box(2, [40, 40, 50, 50], iscrowd=1)
        ],
        categories=[dict(id=1, name='object')])
    dets = dict(annotations=[
        _box(1, [0, 0, 10, 10], 0.9),
        _box(2, [50, 50, 10, 10], 0.8),  # inside the crowd region
        _box(3, [60, 60, 10, 10], 0.7),  # so is this one
        _box(4, [0, 80, 10, 10], 0.6),  # on nothing: fp
    ])
    res = precision_recall_at_iou(gt, dets, 0.5)
    assert (res['tp'], res['fp'], res['fn']) == (1, 1, 0)
