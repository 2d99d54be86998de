# Copyright (c) mmcasp contributors. All rights reserved.
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmcasp.pseudo_labels import (RecordWriter, build_pseudo_coco,
                                  encode_masks, merge_flip_predictions,
                                  read_records, rle_from_change_points,
                                  select_instances)


def _masks(boxes, h=40, w=50):
    out = np.zeros((len(boxes), h, w), bool)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        out[i, int(y0):int(y1), int(x0):int(x1)] = True
    return out


def test_select_instances_rules():
    boxes = np.array([[0, 0, 10, 10], [5, 5, 25, 30], [1, 1, 2, 30],
                      [0, 0, 20, 20], [30, 5, 45, 20]], np.float32)
    scores = np.array([0.2, 0.9, 0.8, 0.5, 0.3], np.float32)
    masks = _masks(boxes)
    masks[4] = False  # a mask with no pixel
    inst, dropped = select_instances(
        boxes, scores, masks, delta=0.2, max_per_image=2, min_size=2)
    # 0.2 is not > delta; the 1-px wide box is too small; the empty mask is
    # dropped; 2 kept by score
    assert [i['score'] for i in inst] == pytest.approx([0.9, 0.5])
    assert inst[0]['bbox'] == [5., 5., 20., 25.]
    assert isinstance(inst[0]['segmentation']['counts'], str)
    assert inst[0]['area'] == 20 * 25
    assert mask_utils.decode(inst[1]['segmentation']).sum() == 400
    assert dropped == {'below_delta': 1, 'too_small': 1, 'empty_mask': 1}
    inst, dropped = select_instances(boxes, scores, None, max_per_image=1)
    assert len(inst) == 1 and dropped['over_max'] == 3
    assert 'segmentation' not in inst[0]


def test_keep_top_keeps_each_image_s_best_box():
    """DAP's self-training rule: score >= 0.6 or the image's top box."""
    boxes = np.array(
        [[0, 0, 10, 10], [5, 5, 25, 30], [1, 1, 2, 30], [0, 0, 20, 20]],
        np.float32)
    # the best box (0.5) is below delta; the 1-px box (0.55) is too small,
    # so the top box is the best of those that pass min_size
    scores = np.array([0.3, 0.5, 0.55, 0.4], np.float32)
    inst, dropped = select_instances(
        boxes, scores, delta=0.6, min_size=2, keep_top=True)
    assert [i['score'] for i in inst] == pytest.approx([0.5])
    # (a box below delta counts there, whatever its size)
    assert dropped == {'below_delta': 3}
    inst, _ = select_instances(boxes, scores, delta=0.6, min_size=2)
    assert inst == []
    # above delta: the rule adds nothing
    scores = np.array([0.7, 0.9, 0.1, 0.65], np.float32)
    with_top, _ = select_instances(boxes, scores, delta=0.6, keep_top=True)
    without, _ = select_instances(boxes, scores, delta=0.6)
    assert with_top == without and len(without) == 3
    # nothing predicted: nothing kept
    inst, dropped = select_instances(
        np.zeros((0, 4), np.float32), np.zeros(0, np.float32), keep_top=True)
    assert inst == [] and not dropped


def test_flip_merge_per_class_keeps_overlapping_boxes_of_other_classes():
    w = 50
    pred = dict(
        bboxes=np.array([[0, 0, 10, 10]], np.float32),
        scores=np.array([0.9], np.float32),
        labels=np.array([3]))
    # the same box in the flipped view, once as class 3 (suppressed) and
    # once as class 5 (kept: another class)
    flip = dict(
        bboxes=np.array([[40, 0, 50, 10], [40, 0, 50, 10]], np.float32),
        scores=np.array([0.8, 0.7], np.float32),
        labels=np.array([3, 5]))
    merged = merge_flip_predictions(
        pred, flip, w, iou_threshold=0.5, per_class=True)
    np.testing.assert_allclose(merged['bboxes'],
                               [[0, 0, 10, 10], [0, 0, 10, 10]])
    np.testing.assert_allclose(merged['scores'], [0.9, 0.7])
    assert merged['labels'].tolist() == [3, 5]
    # class-agnostic labels (the default), even from a model that predicts
    # classes: one NMS over all boxes keeps the first box only
    agnostic = merge_flip_predictions(pred, flip, w, iou_threshold=0.5)
    assert len(agnostic['scores']) == 1 and 'labels' not in agnostic
    with pytest.raises(ValueError, match='need labels'):
        unlabeled = {k: v for k, v in pred.items() if k != 'labels'}
        merge_flip_predictions(unlabeled, flip, w, per_class=True)


def test_merge_flip_predictions():
    w = 50
    pred = dict(
        bboxes=np.array([[0, 0, 10, 10]], np.float32),
        scores=np.array([0.9], np.float32),
        masks=_masks([[0, 0, 10, 10]]))
    # the same object seen in the flipped image, and one new object
    flip = dict(
        bboxes=np.array([[40, 0, 50, 10], [0, 20, 10, 30]], np.float32),
        scores=np.array([0.8, 0.7], np.float32),
        masks=_masks([[40, 0, 50, 10], [0, 20, 10, 30]]))
    merged = merge_flip_predictions(pred, flip, w, iou_threshold=0.5)
    np.testing.assert_allclose(merged['bboxes'],
                               [[0, 0, 10, 10], [40, 20, 50, 30]])
    assert merged['masks'][1][20:30, 40:50].all()
    assert merged['masks'][1].sum() == 100


def test_build_pseudo_coco_is_order_independent_and_drops_empty():
    recs = [
        dict(
            id=3,
            file_name='c.png',
            height=10,
            width=10,
            instances=[dict(bbox=[1, 1, 2, 2], score=0.5, category_id=1)]),
        dict(id=1, file_name='a.png', skipped='truncated'),
        dict(id=2, file_name='b.png', height=10, width=10, instances=[]),
        dict(
            id=0,
            file_name='z.png',
            height=10,
            width=10,
            instances=[
                dict(bbox=[0, 0, 4, 4], score=0.95, category_id=1),
                dict(bbox=[5, 5, 4, 4], score=0.25, category_id=1)
            ]),
    ]
    cats = [dict(id=1, name='object')]
    a, stats = build_pseudo_coco(recs, cats, dict(delta=0.2))
    b, _ = build_pseudo_coco(list(reversed(recs)), cats, dict(delta=0.2))
    assert a['images'] == b['images'] and a['annotations'] == b['annotations']
    assert [i['id'] for i in a['images']] == [0, 3]
    assert [x['id'] for x in a['annotations']] == [1, 2, 3]
    assert stats['images_in'] == 4 and stats['images_kept'] == 2
    assert stats['images_empty_dropped'] == 1
    assert stats['images_skipped'] == {'truncated': 1}
    assert stats['score_histogram']['counts'][9] == 1
    assert stats['labels_per_image_max'] == 2
    assert a['info']['delta'] == 0.2 and 'date_created' in a['info']


def test_record_writer_recovers_from_a_partial_line(tmp_path):
    path = str(tmp_path / 'shard.jsonl')
    with RecordWriter(path) as w:
        w.write(dict(id=1))
        w.write(dict(id=2))
    with open(path, 'a') as f:
        f.write('{"id": 3, "instan')  # killed mid-write
    assert [r['id'] for r in read_records(path)] == [1, 2]
    with RecordWriter(path) as w:
        w.write(dict(id=3))
    assert [r['id'] for r in read_records(path)] == [1, 2, 3]
    assert open(path).read().count('\n') == 3


def test_gpu_rle_path_equals_pycocotools():
    """The run-boundary encoder (used for CUDA masks) gives byte-identical
    RLEs to pycocotools, including masks that start or end with a one, a
    full mask and an empty one; it runs on CPU tensors too."""
    import torch
    rng = np.random.default_rng(0)
    h, w = 37, 53
    masks = torch.from_numpy(rng.random((12, h, w)) > 0.7)
    masks[0] = False
    masks[1] = True
    masks[2] = False
    masks[2, 0, 0] = True
    masks[3] = False
    masks[3, -1, -1] = True
    masks[4] = False
    masks[4, 5:20, 7:30] = True
    fortran = np.asfortranarray(masks.numpy().transpose(1, 2,
                                                        0).astype(np.uint8))
    expected = mask_utils.encode(fortran)
    for rle in expected:
        rle['counts'] = rle['counts'].decode('ascii')
    assert rle_from_change_points(masks) == expected
    assert encode_masks(masks) == expected
    assert rle_from_change_points(masks[:0]) == []
    decoded = mask_utils.decode(rle_from_change_points(masks))
    assert (decoded.transpose(2, 0, 1) == masks.numpy()).all()
