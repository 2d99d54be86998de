# Copyright (c) mmcasp contributors. All rights reserved.
import json

import numpy as np
import pytest
from mmdet.datasets import CocoDataset
from mmengine.registry import DefaultScope

from mmcasp.datasets import ClassAgnosticCocoDataset
from mmcasp.datasets.rle import encode_rle
from mmcasp.datasets.transforms import ClassAgnostic
from mmcasp.utils import register_all_modules


def _write_coco(tmp_path, with_image=True):
    import cv2
    img_dir = tmp_path / 'img'
    img_dir.mkdir()
    cv2.imwrite(str(img_dir / 'a.png'), np.zeros((40, 50, 3), np.uint8))
    mask = np.zeros((40, 50), np.uint8)
    mask[5:15, 5:20] = 1
    anns = [
        # polygon, category 1
        dict(
            id=1,
            image_id=1,
            category_id=1,
            bbox=[5, 5, 15, 10],
            area=150.,
            segmentation=[[5, 5, 20, 5, 20, 15, 5, 15]],
            iscrowd=0),
        # RLE (str counts), category 7
        dict(
            id=2,
            image_id=1,
            category_id=7,
            bbox=[5, 5, 15, 10],
            area=150.,
            segmentation=encode_rle(mask),
            iscrowd=0),
        # crowd region, category 3
        dict(
            id=3,
            image_id=1,
            category_id=3,
            bbox=[30, 20, 10, 10],
            area=100.,
            segmentation=encode_rle(mask),
            iscrowd=1),
        # degenerate box: dropped by mmdet's rules too
        dict(
            id=4,
            image_id=1,
            category_id=1,
            bbox=[1, 1, 0, 4],
            area=0.,
            segmentation=[[1, 1, 1, 5, 1, 5]],
            iscrowd=0),
    ]
    coco = dict(
        images=[dict(id=1, file_name='a.png', width=50, height=40)],
        annotations=anns,
        categories=[
            dict(id=1, name='cat'),
            dict(id=3, name='dog'),
            dict(id=7, name='zebra')
        ])
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(coco))
    return str(path), str(img_dir) + '/'


def test_keeps_every_category_as_object(tmp_path):
    ann, img = _write_coco(tmp_path)
    ds = ClassAgnosticCocoDataset(
        ann_file=ann, data_prefix=dict(img=img), pipeline=[])
    assert ds.metainfo['classes'] == ('object', )
    inst = ds[0]['instances']
    assert len(inst) == 3
    assert [i['bbox_label'] for i in inst] == [0, 0, 0]
    assert [i['ignore_flag'] for i in inst] == [0, 0, 1]  # crowd ignored

    # mmdet's CocoDataset with the same single class keeps nothing
    stock = CocoDataset(
        ann_file=ann,
        data_prefix=dict(img=img),
        metainfo=dict(classes=('object', )),
        pipeline=[])
    assert stock[0]['instances'] == []


def test_one_class_only(tmp_path):
    ann, img = _write_coco(tmp_path)
    with pytest.raises(ValueError, match='exactly one class'):
        ClassAgnosticCocoDataset(
            ann_file=ann,
            data_prefix=dict(img=img),
            metainfo=dict(classes=('a', 'b')),
            pipeline=[])


def test_masks_reach_the_model_inputs(tmp_path):
    """Polygon and str-RLE masks are decoded, not ignored (poly2mask)."""
    ann, img = _write_coco(tmp_path)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        ds = ClassAgnosticCocoDataset(
            ann_file=ann,
            data_prefix=dict(img=img),
            metainfo=dict(classes=('entity', )),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(
                    type='LoadAnnotations',
                    with_bbox=True,
                    with_mask=True,
                    poly2mask=True),
                dict(type='ClassAgnostic'),
                dict(type='PackDetInputs')
            ])
        sample = ds[0]['data_samples']
    gt = sample.gt_instances
    assert len(gt) == 2 and (gt.labels == 0).all()
    assert gt.masks.masks.sum(axis=(1, 2)).tolist() == [150, 150]
    assert len(sample.ignored_instances) == 1


def test_class_agnostic_transform():
    t = ClassAgnostic()
    out = t(dict(gt_bboxes_labels=np.array([3, 0, 7])))
    assert out['gt_bboxes_labels'].tolist() == [0, 0, 0]
    assert out['gt_bboxes_labels'].dtype == np.int64
    assert out['gt_source_labels'].tolist() == [3, 0, 7]
    assert t(dict(img=1)) == dict(img=1)
    assert 'label=0' in repr(t)
