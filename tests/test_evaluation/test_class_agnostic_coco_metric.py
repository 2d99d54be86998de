# Copyright (c) mmcasp contributors. All rights reserved.
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmdet.evaluation import CocoMetric

from mmcasp.evaluation import ClassAgnosticCocoMetric, collapse_coco_categories


def _box_mask(box, h=64, w=64):
    m = np.zeros((h, w), np.uint8)
    x0, y0, x1, y1 = [int(v) for v in box]
    m[y0:y1, x0:x1] = 1
    return m


def _coco(boxes_xyxy, cats, h=64, w=64):
    anns = []
    for i, (b, c) in enumerate(zip(boxes_xyxy, cats)):
        rle = mask_utils.encode(np.asfortranarray(_box_mask(b, h, w)))
        rle['counts'] = rle['counts'].decode()
        anns.append(
            dict(
                id=i + 1,
                image_id=1,
                category_id=c,
                bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]],
                area=float((b[2] - b[0]) * (b[3] - b[1])),
                segmentation=rle,
                iscrowd=0))
    return dict(
        images=[dict(id=1, width=w, height=h, file_name='a.png')],
        annotations=anns,
        categories=[dict(id=1, name='cat'),
                    dict(id=2, name='dog')])


GT = [[4, 4, 24, 24], [34, 30, 60, 60]]


def _sample(boxes, scores, labels):
    boxes = torch.tensor(boxes, dtype=torch.float32)
    masks = torch.from_numpy(np.stack([_box_mask(b)
                                       for b in boxes.tolist()])).bool()
    return dict(
        img_id=1,
        ori_shape=(64, 64),
        pred_instances=dict(
            bboxes=boxes,
            scores=torch.tensor(scores),
            labels=torch.tensor(labels),
            masks=masks))


def _evaluate(metric, sample):
    metric.dataset_meta = dict(classes=('cat', 'dog'))
    metric.process({}, [sample])
    return metric.evaluate(1)


@pytest.fixture
def ann_file(tmp_path):
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(_coco(GT, [1, 2])))
    return str(path)


def test_confused_classes_right_boxes(ann_file):
    """Right boxes with swapped classes: agnostic AP 1, class-specific 0."""
    swapped = _sample(GT, [0.9, 0.8], [1, 0])
    agn = _evaluate(
        ClassAgnosticCocoMetric(ann_file=ann_file, metric=['bbox', 'segm']),
        swapped)
    assert agn['agnostic/bbox_mAP'] == pytest.approx(1.0)
    assert agn['agnostic/segm_mAP'] == pytest.approx(1.0)
    assert agn['agnostic/bbox_AR@100'] == pytest.approx(1.0)
    specific = _evaluate(
        CocoMetric(ann_file=ann_file, metric=['bbox']),
        _sample(GT, [0.9, 0.8], [1, 0]))
    assert specific['coco/bbox_mAP'] == pytest.approx(0.0)


def test_known_ap_half_recall(ann_file):
    """One hit (0.9), one false positive ranked below it, one miss:
    precision 1 up to recall 0.5 -> 51 of COCO's 101 recall points."""
    sample = _sample([GT[0], [40, 2, 60, 20]], [0.9, 0.8], [0, 1])
    res = _evaluate(ClassAgnosticCocoMetric(ann_file=ann_file), sample)
    assert res['agnostic/bbox_mAP'] == pytest.approx(0.505, abs=1e-3)
    assert res['agnostic/bbox_mAP_50'] == pytest.approx(0.505, abs=1e-3)
    assert res['agnostic/bbox_AR@100'] == pytest.approx(0.5)


def test_ground_truth_from_data_samples_without_ann_file():
    sample = _sample(GT, [0.9, 0.8], [1, 0])
    sample['instances'] = [
        dict(bbox=GT[0], bbox_label=0, ignore_flag=0),
        dict(bbox=GT[1], bbox_label=1, ignore_flag=0)
    ]
    res = _evaluate(ClassAgnosticCocoMetric(metric='bbox'), sample)
    assert res['agnostic/bbox_mAP'] == pytest.approx(1.0)


def test_entity_name_and_prefix(ann_file):
    metric = ClassAgnosticCocoMetric(
        ann_file=ann_file, class_name='entity', prefix='entity')
    res = _evaluate(metric, _sample(GT, [0.9, 0.8], [0, 0]))
    assert res['entity/bbox_mAP'] == pytest.approx(1.0)
    assert metric.dataset_meta['classes'] == ('entity', )


def test_collapse_keeps_crowd_and_does_not_modify_input():
    coco = _coco(GT, [1, 2])
    coco['annotations'][1]['iscrowd'] = 1
    out = collapse_coco_categories(coco, 'object')
    assert out['categories'] == [dict(id=1, name='object', supercategory='')]
    assert [a['category_id'] for a in out['annotations']] == [1, 1]
    assert out['annotations'][1]['iscrowd'] == 1
    assert coco['annotations'][1]['category_id'] == 2


def test_no_prediction_at_all_scores_zero_with_the_reason(
        ann_file, log_records):
    """An untrained model predicts nothing above score_thr: every item is 0
    and a warning says why (mmdet's CocoMetric logs an ERROR and reports
    no key, which left blank rows in the pipeline's report)."""
    empty = dict(
        img_id=1,
        ori_shape=(64, 64),
        pred_instances=dict(
            bboxes=torch.zeros((0, 4)),
            scores=torch.zeros(0),
            labels=torch.zeros(0, dtype=torch.long),
            masks=torch.zeros((0, 64, 64), dtype=torch.bool)))
    res = _evaluate(
        ClassAgnosticCocoMetric(ann_file=ann_file, metric=['bbox', 'segm']),
        empty)
    assert res == {
        f'agnostic/{m}_{item}': 0.0
        for m in ('bbox', 'segm')
        for item in ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l',
                     'AR@100')
    }
    warnings = [
        r.getMessage() for r in log_records if r.levelname == 'WARNING'
    ]
    assert any(
        w.startswith('ClassAgnosticCocoMetric: no prediction on any of the '
                     '1 images') for w in warnings), warnings
    assert not [r for r in log_records if r.levelname == 'ERROR']
