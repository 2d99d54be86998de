# Copyright (c) mmcasp contributors. All rights reserved.
"""A stock mmdet mask config on RLE labels (pseudo labels, entities): the
masks reach the loss, or training stops saying which setting to change."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.datasets.transforms import LoadAnnotations
from mmengine.config import Config
from pycocotools import mask as mask_util

from mmcasp.datasets import (check_mask_loading, count_rle_masks,
                             drops_rle_masks, rle_mask_problems)
from tests._helpers import REPO_ROOT, TINY_CONFIG, subprocess_env

STOCK = dict(
    type='LoadAnnotations', with_bbox=True, with_mask=True,
    poly2mask=False)  # as mmdet's condinst_r50_fpn_*.py


def _rle_file(tmp_path):
    """A pseudo-label-like file: two RLE masks on one 20 x 30 image."""
    masks = np.zeros((2, 20, 30), np.uint8)
    masks[0, 2:9, 3:12] = 1
    masks[1, 10:18, 15:28] = 1
    anns = []
    for i, m in enumerate(masks, start=1):
        rle = mask_util.encode(np.asfortranarray(m))
        rle['counts'] = rle['counts'].decode()
        x, y, w, h = mask_util.toBbox(rle).tolist()
        anns.append(
            dict(
                id=i,
                image_id=1,
                category_id=1,
                bbox=[x, y, w, h],
                area=float(m.sum()),
                iscrowd=0,
                segmentation=rle,
                score=0.5))
    path = tmp_path / 'pseudo.json'
    path.write_text(
        json.dumps(
            dict(
                images=[dict(id=1, file_name='a.jpg', height=20, width=30)],
                annotations=anns,
                categories=[dict(id=1, name='object')])))
    return str(path), masks


def _loaded(path, transform):
    ds = CocoDataset(
        ann_file=path,
        metainfo=dict(classes=('object', )),
        data_prefix=dict(img=''),
        pipeline=[],
        lazy_init=False)
    info = ds.get_data_info(0)
    return transform(dict(info, img_shape=(20, 30), ori_shape=(20, 30)))


def test_stock_setting_silently_ignores_rle_masks(tmp_path):
    """The behaviour the check guards against (mmdet 3.3): every RLE
    instance is flagged ignored, box and mask, so nothing is learned."""
    path, _ = _rle_file(tmp_path)
    out = _loaded(
        path, LoadAnnotations(with_bbox=True, with_mask=True, poly2mask=False))
    assert out['gt_ignore_flags'].all()


def test_poly2mask_true_brings_the_rle_masks(tmp_path):
    path, masks = _rle_file(tmp_path)
    out = _loaded(
        path, LoadAnnotations(with_bbox=True, with_mask=True, poly2mask=True))
    assert not out['gt_ignore_flags'].any()
    np.testing.assert_array_equal(out['gt_masks'].to_ndarray(), masks)


def test_the_check_finds_the_stock_setting(tmp_path):
    path, _ = _rle_file(tmp_path)
    assert count_rle_masks(path) == (2, 2)
    assert drops_rle_masks([STOCK])
    assert not drops_rle_masks([dict(STOCK, poly2mask=True)])
    assert not drops_rle_masks([dict(STOCK, with_mask=False)])
    stock = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='RepeatDataset',
                    times=2,
                    dataset=dict(
                        type='CocoDataset',
                        data_root=osp.dirname(path),
                        ann_file=osp.basename(path),
                        pipeline=[dict(type='LoadImageFromFile'), STOCK])))))
    problems = rle_mask_problems(stock)
    assert len(problems) == 1
    assert '2 of 2 annotations' in problems[0] and \
        'poly2mask=True' in problems[0]
    stock.train_dataloader.dataset.dataset.pipeline[1].poly2mask = True
    assert rle_mask_problems(stock) == []
    check_mask_loading(stock)


def test_train_tool_stops_before_training(toy_root, tmp_path):
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'train.py'), TINY_CONFIG, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        f'train_dataloader.dataset.data_root={toy_root}/',
        f'val_dataloader.dataset.data_root={toy_root}/',
        f'val_evaluator.ann_file={toy_root}/annotations/instances_val.json',
        'train_dataloader.dataset.pipeline.1.poly2mask=False'
    ],
                          capture_output=True,
                          text=True,
                          env=subprocess_env(),
                          timeout=300)
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    assert 'poly2mask=True' in proc.stderr, proc.stderr[-2000:]
    assert not osp.exists(tmp_path / 'w' / 'epoch_1.pth')
