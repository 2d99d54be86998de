# Copyright (c) mmcasp contributors. All rights reserved.
"""Image-level labels by file name (``image_level_labels``), ImageDataset's
``labels_file`` and the ``PackImageLabels`` transform."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmcasp.datasets import image_level_labels
from mmcasp.datasets.transforms import PackImageLabels
from mmcasp.registry import DATASETS
from mmcasp.utils import register_all_modules


def _coco(images, anns, cats=((3, 'c3'), (1, 'c1'), (2, 'c2'))):
    return dict(
        images=[dict(id=i, file_name=n) for i, n in images],
        annotations=[
            dict(id=k + 1, image_id=i, category_id=c, bbox=[0, 0, 1, 1])
            for k, (i, c) in enumerate(anns)
        ],
        categories=[dict(id=i, name=n) for i, n in cats])


def test_image_level_labels_sorts_categories_and_keys_by_file_name():
    cats, labels = image_level_labels(
        _coco([(10, 'a.png'), (11, 'sub/./b.png'), (12, 'c.png')], [(10, 3),
                                                                    (10, 1),
                                                                    (11, 2),
                                                                    (10, 3)]))
    assert [c['id'] for c in cats] == [1, 2, 3]
    # class index = rank of the category id: 1 -> 0, 2 -> 1, 3 -> 2
    assert labels == {'a.png': {0, 2}, 'sub/b.png': {1}, 'c.png': set()}


def test_image_level_labels_unions_a_file_name_listed_twice():
    _, labels = image_level_labels(
        _coco([(1, 'a.png'), (2, 'a.png')], [(1, 1), (2, 2)]))
    assert labels == {'a.png': {0, 1}}


@pytest.mark.parametrize(
    'coco, match', [
        (dict(images=[]), 'no categories'),
        (_coco([(1, 'a.png')], [(2, 1)]), 'image_id'),
        (_coco([(1, 'a.png')], [(1, 9)]), 'category_id'),
        (_coco([(1, 'a.png'), (1, 'b.png')], []), 'used more than once'),
        (_coco([(1, '')], []), 'file_name'),
        ([], 'COCO object'),
    ],
    ids=['no-cats', 'bad-image', 'bad-cat', 'dup-id', 'no-name', 'list'])
def test_image_level_labels_refuses_broken_files(coco, match):
    with pytest.raises(ValueError, match=match):
        image_level_labels(coco)


def _two_files(tmp_path):
    """An images-only json of 3 images and a labels json that lists two of
    them (one without annotations) plus one the image list lacks, with
    other image ids."""
    import cv2
    img_dir = tmp_path / 'imgs'
    img_dir.mkdir()
    for n in ('a.png', 'b.png', 'c.png'):
        cv2.imwrite(str(img_dir / n), np.zeros((20, 30, 3), np.uint8))
    images = _coco([(1, 'a.png'), (2, 'b.png'), (3, 'c.png')], [])
    labels = _coco([(7, 'x.png'), (8, 'b.png'), (9, 'a.png')], [(7, 5), (9, 2),
                                                                (9, 3)],
                   cats=((5, 'five'), (2, 'two'), (3, 'three')))
    (tmp_path / 'images.json').write_text(json.dumps(images))
    (tmp_path / 'labels.json').write_text(json.dumps(labels))
    return str(tmp_path)


def test_image_dataset_matches_labels_file_by_file_name(tmp_path):
    root = _two_files(tmp_path)
    register_all_modules()
    ds = DATASETS.build(
        dict(
            type='ImageDataset',
            data_root=root,
            ann_file='images.json',
            data_prefix=dict(img='imgs/'),
            with_labels=True,
            labels_file='labels.json',
            pipeline=[]))
    assert ds.metainfo['classes'] == ('two', 'three', 'five')
    got = {
        osp.basename(ds.get_data_info(i)['img_path']):
        ds.get_data_info(i)['image_labels']
        for i in range(len(ds))
    }
    assert set(got) == {'a.png', 'b.png', 'c.png'}
    for v in got.values():
        assert v.dtype == np.float32 and v.shape == (3, )
    # a.png: labels json's image 9 (categories 2, 3); ids differ on purpose
    np.testing.assert_array_equal(got['a.png'], [1, 1, 0])
    # listed without annotations / not listed: all zero (unlabeled)
    np.testing.assert_array_equal(got['b.png'], [0, 0, 0])
    np.testing.assert_array_equal(got['c.png'], [0, 0, 0])
    assert ds.get_data_info(0)['img_id'] == 1  # the image list's ids


def test_image_dataset_labels_default_to_ann_file(toy_root):
    register_all_modules()
    cfg = dict(
        type='ImageDataset',
        data_root=toy_root,
        ann_file='annotations/instances_unlabeled.json',
        data_prefix=dict(img='images/unlabeled/'),
        with_labels=True,
        pipeline=[])
    same = DATASETS.build(cfg)
    split = DATASETS.build(
        dict(
            cfg,
            ann_file='annotations/unlabeled.json',
            labels_file='annotations/instances_unlabeled.json'))
    with open(osp.join(toy_root, 'annotations/instances_unlabeled.json')) as f:
        coco = json.load(f)
    cats = sorted(c['id'] for c in coco['categories'])
    assert len(same) == len(split) == len(coco['images'])
    assert same.metainfo['classes'] == split.metainfo['classes']
    for i in range(len(same)):
        a, b = same.get_data_info(i), split.get_data_info(i)
        expected = np.zeros(len(cats), np.float32)
        for ann in coco['annotations']:
            if ann['image_id'] == a['img_id']:
                expected[cats.index(ann['category_id'])] = 1
        np.testing.assert_array_equal(a['image_labels'], expected)
        np.testing.assert_array_equal(b['image_labels'], expected)
    assert sum(
        float(same.get_data_info(i)['image_labels'].sum())
        for i in range(len(same))) > 0


def test_labels_file_needs_with_labels_and_a_json(tmp_path):
    root = _two_files(tmp_path)
    register_all_modules()
    cfg = dict(
        type='ImageDataset',
        data_root=root,
        ann_file='imgs',
        labels_file='labels.json',
        pipeline=[])
    with pytest.raises(ValueError, match='with_labels'):
        DATASETS.build(cfg)
    with pytest.raises(ValueError, match='COCO json'):
        DATASETS.build(dict(cfg, labels_file=None, with_labels=True))
    # a folder source with a labels json works (names relative to it)
    ds = DATASETS.build(dict(cfg, with_labels=True))
    assert len(ds) == 3


def test_pack_image_labels():
    img = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    out = PackImageLabels()(
        dict(
            img=img,
            img_id=3,
            img_path='x.png',
            ori_shape=(8, 10),
            image_labels=np.array([0, 1], np.float32)))
    assert out['inputs'].dtype == torch.uint8
    assert out['inputs'].shape == (3, 4, 5)
    assert torch.equal(out['inputs'][2], torch.from_numpy(img[..., 2]))
    sample = out['data_samples']
    assert sample.img_id == 3 and sample.ori_shape == (8, 10)
    assert sample.img_shape == (4, 5)
    assert torch.equal(sample.image_labels, torch.tensor([0., 1.]))
    assert 'image_labels' not in PackImageLabels()(
        dict(img=img))['data_samples']
