# Copyright (c) mmcasp contributors. All rights reserved.
import filecmp
import json
import os.path as osp

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmcasp.datasets import TOY_THING_CLASSES, make_toy_dataset


def test_deterministic(tmp_path):
    sizes = dict(labeled=3, unlabeled=2, val=2)
    a = make_toy_dataset(str(tmp_path / 'a'), sizes, show_progress=False)
    b = make_toy_dataset(str(tmp_path / 'b'), sizes, show_progress=False)
    for key in ('instances_labeled', 'panoptic_val', 'unlabeled'):
        assert filecmp.cmp(a[key], b[key], shallow=False)
    for name in ('000001.png', '000003.png'):
        assert filecmp.cmp(
            osp.join(a['images_labeled'], name),
            osp.join(b['images_labeled'], name),
            shallow=False)
    c = make_toy_dataset(
        str(tmp_path / 'c'), sizes, seed=1, show_progress=False)
    assert not filecmp.cmp(a['instances_labeled'], c['instances_labeled'])


def test_annotations_are_consistent(toy_root):
    ann_dir = osp.join(toy_root, 'annotations')
    inst = json.load(open(osp.join(ann_dir, 'instances_labeled.json')))
    pan = json.load(open(osp.join(ann_dir, 'panoptic_labeled.json')))
    assert [c['name'] for c in inst['categories']] == list(TOY_THING_CLASSES)
    assert len(inst['images']) == 16
    assert len({a['id']
                for a in inst['annotations']}) == len(inst['annotations'])
    labels = {a['category_id'] for a in inst['annotations']}
    assert len(labels) >= 4  # several classes occur
    for ann in inst['annotations']:
        assert isinstance(ann['segmentation']['counts'], str)
        m = mask_utils.decode(ann['segmentation'])
        assert m.sum() == ann['area']
        assert list(mask_utils.toBbox(ann['segmentation'])) == ann['bbox']
    # panoptic PNG pixel counts equal the JSON areas; every segment present
    by_image = {a['image_id']: a for a in pan['annotations']}
    for img in pan['images'][:5]:
        ann = by_image[img['id']]
        png = cv2.imread(
            osp.join(ann_dir, 'panoptic_labeled', ann['file_name']))[..., ::-1]
        ids = png[..., 0].astype(np.int64) + 256 * png[..., 1] + \
            65536 * png[..., 2]
        for seg in ann['segments_info']:
            assert (ids == seg['id']).sum() == seg['area']
        things = [s for s in ann['segments_info'] if s['category_id'] <= 6]
        n_inst = sum(1 for a in inst['annotations']
                     if a['image_id'] == img['id'])
        assert len(things) == n_inst
    unl = json.load(open(osp.join(ann_dir, 'unlabeled.json')))
    assert unl['annotations'] == [] and len(unl['images']) == 8


def test_bad_split_name(tmp_path):
    with pytest.raises(ValueError, match='unknown splits'):
        make_toy_dataset(str(tmp_path), dict(train=1), show_progress=False)
