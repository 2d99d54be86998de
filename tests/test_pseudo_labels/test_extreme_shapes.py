# Copyright (c) mmcasp contributors. All rights reserved.
"""Images a model's pipeline cannot take at their shape are labeled
(padded, then cropped back), and a skip has a reason from a fixed list."""
import json

import cv2
import mmcv
import numpy as np
from pycocotools import mask as mask_util

from mmcasp.pseudo_labels import (SKIP_REASONS, crop_instances, pad_to_aspect,
                                  run_pseudo_labeling)


def _rle(mask):
    rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode()
    return rle


def test_pad_to_aspect():
    img = np.ones((4, 3000, 3), np.uint8)
    padded = pad_to_aspect(img, 16)
    assert padded.shape == (188, 3000, 3)
    assert (padded[:4] == 1).all() and (padded[4:] == 0).all()
    assert pad_to_aspect(np.ones((3000, 4), np.uint8), 16).shape == (3000, 188)
    ok = np.ones((100, 1600, 3), np.uint8)
    assert pad_to_aspect(ok, 16) is ok


def test_crop_instances_clips_boxes_and_crops_masks():
    full = np.zeros((20, 30), bool)
    full[2:15, 5:25] = True  # reaches below row 10
    below = np.zeros((20, 30), bool)
    below[12:18, 3:9] = True  # only in the padding
    inst = [
        dict(
            bbox=[5, 2, 20, 13],
            score=.9,
            category_id=1,
            segmentation=_rle(full),
            area=float(full.sum())),
        dict(
            bbox=[3, 12, 6, 6],
            score=.8,
            category_id=1,
            segmentation=_rle(below),
            area=float(below.sum())),
        dict(bbox=[-2, 1, 5, 30], score=.7, category_id=1),
    ]
    out = crop_instances(inst, 10, 30)
    assert len(out) == 2  # the label inside the padding is dropped
    assert out[0]['bbox'] == [5, 2, 20, 8]
    assert out[0]['segmentation']['size'] == [10, 30]
    assert out[0]['area'] == float(full[:10].sum())
    np.testing.assert_array_equal(
        mask_util.decode(out[0]['segmentation']), full[:10])
    assert out[1]['bbox'] == [0., 1, 3., 9.]


def _rescale_prepare(entry, img):
    # a keep-ratio resize to 64 x 64, as mmdet's Resize(keep_ratio=True):
    # a 4 x 3000 strip becomes 0 px high and OpenCV raises
    return mmcv.imrescale(img, (64, 64))


def _whole_image_label(items):
    out = []
    for it in items:
        h, w = it['height'], it['width']
        assert it['inputs'].shape[0] >= 1 and it['inputs'].shape[1] >= 1
        out.append([
            dict(
                bbox=[0., 0., float(w), float(h)],
                score=0.9,
                category_id=1,
                segmentation=_rle(np.ones((h, w), bool)))
        ])
    return out


def test_extreme_images_are_labeled_with_their_own_size(tmp_path):
    rng = np.random.default_rng(0)
    shapes = {
        'strip.png': (4, 3000),
        'pole.png': (3000, 4),
        'plain.png': (40, 60)
    }
    entries = []
    for i, (name, (h, w)) in enumerate(sorted(shapes.items()), start=1):
        cv2.imwrite(
            str(tmp_path / name),
            rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        entries.append(dict(id=i, file_name=name, path=str(tmp_path / name)))
    out = str(tmp_path / 'p.json')
    stats = run_pseudo_labeling(
        entries,
        _whole_image_label,
        out,
        prepare=_rescale_prepare,
        batch_size=2,
        num_workers=0,
        show_progress=False)
    assert stats['images_skipped'] == {}
    coco = json.load(open(out))
    sizes = {i['file_name']: (i['height'], i['width']) for i in coco['images']}
    assert sizes == shapes
    for ann in coco['annotations']:
        img = next(i for i in coco['images'] if i['id'] == ann['image_id'])
        h, w = img['height'], img['width']
        assert ann['segmentation']['size'] == [h, w]
        assert ann['bbox'] == [0, 0, w, h]
        assert ann['area'] == h * w


def test_an_image_no_padding_helps_is_a_counted_skip(tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((8, 8, 3), np.uint8))

    def broken(entry, img):
        raise RuntimeError('this model cannot take any image')

    out = str(tmp_path / 'p.json')
    run_pseudo_labeling(
        [dict(id=1, file_name='a.png', path=str(tmp_path / 'a.png'))],
        _whole_image_label,
        out,
        prepare=broken,
        num_workers=0,
        show_progress=False)
    stats = json.load(open(out))['info']['stats']
    # the stats key is from the fixed vocabulary; the error is in the log
    assert stats['images_skipped'] == {'prepare_failed': 1}
    assert set(stats['images_skipped']) <= set(SKIP_REASONS)
