# Copyright (c) mmcasp contributors. All rights reserved.
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmcasp.datasets import (ClassAgnosticCocoDataset, PanopticFormatError,
                             convert_panoptic_to_entities,
                             panoptic_to_entities)
from tests._helpers import REPO_ROOT, SHARED

SAMPLE = osp.join(SHARED, 'data', 'panoptic-sample')
needs_sample = pytest.mark.skipif(
    not osp.isdir(SAMPLE),
    reason='../shared/data/panoptic-sample is not present (developer data)')


def _id2rgb(ids):
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536],
                    -1).astype(np.uint8)


def _write_case(tmp_path, seg_ids, segments, name='a.png', size=None):
    png_dir = tmp_path / 'png'
    png_dir.mkdir(exist_ok=True)
    cv2.imwrite(str(png_dir / name), _id2rgb(seg_ids)[..., ::-1])
    h, w = size or seg_ids.shape
    pan = dict(
        images=[dict(id=1, file_name='a.jpg', height=h, width=w)],
        annotations=[dict(image_id=1, file_name=name, segments_info=segments)],
        categories=[])
    path = tmp_path / 'pan.json'
    path.write_text(json.dumps(pan))
    return str(path), str(png_dir)


def _seg(i, cat, area, crowd=0):
    return dict(id=i, category_id=cat, area=area, iscrowd=crowd)


def test_pure_conversion_things_stuff_crowd_min_area():
    ids = np.zeros((10, 12), np.int64)
    ids[:5] = 7  # stuff, 60 px
    ids[6:9, 1:4] = 3  # thing, 9 px
    ids[6:8, 8:10] = 5  # crowd, 4 px
    ids[9, 11] = 9  # tiny thing, 1 px
    segments = [
        _seg(7, 100, 60),
        _seg(3, 1, 9),
        _seg(5, 1, 4, crowd=1),
        _seg(9, 2, 1),
        _seg(11, 2, 10)
    ]
    ents, counts = panoptic_to_entities(ids, segments, min_area=2)
    assert [e['source_category_id'] for e in ents] == [100, 1, 1]
    assert [e['area'] for e in ents] == [60., 9., 4.]
    assert [e['iscrowd'] for e in ents] == [0, 0, 1]
    assert ents[1]['bbox'] == [1., 6., 3., 3.]
    assert isinstance(ents[0]['segmentation']['counts'], str)
    assert np.array_equal(
        mask_utils.decode(ents[1]['segmentation']).astype(bool), ids == 3)
    assert counts == {'below_min_area': 1, 'absent_in_png': 1}


def test_id_in_png_not_in_json_is_an_error():
    ids = np.array([[1, 2]])
    with pytest.raises(PanopticFormatError, match=r'\[2\].*not in the JSON'):
        panoptic_to_entities(ids, [_seg(1, 1, 1)])


def test_area_mismatch_is_counted_and_pixels_win():
    ents, counts = panoptic_to_entities(
        np.ones((2, 2), np.int64), [_seg(1, 1, 3)])
    assert ents[0]['area'] == 4 and counts['area_mismatch'] == 1


def test_bad_files_are_skipped_and_counted_or_raise(tmp_path):
    ids = np.zeros((8, 8), np.int64)
    ids[2:5, 2:5] = 4
    pan_json, png_dir = _write_case(tmp_path, ids, [_seg(4, 1, 9)])
    out = str(tmp_path / 'out.json')
    # missing PNG
    stats = convert_panoptic_to_entities(
        pan_json, str(tmp_path / 'nowhere'), out, show_progress=False)
    assert stats['skipped_images'] == {'missing_png': 1}
    assert json.load(open(out))['images'] == []
    with pytest.raises(PanopticFormatError, match='missing panoptic PNG'):
        convert_panoptic_to_entities(
            pan_json,
            str(tmp_path / 'nowhere'),
            out,
            strict=True,
            show_progress=False)
    # wrong PNG modes: grayscale, 16-bit, RGBA
    bad_modes = [
        np.zeros((8, 8), np.uint8),
        np.zeros((8, 8, 3), np.uint16),
        np.zeros((8, 8, 4), np.uint8)
    ]
    for img in bad_modes:
        cv2.imwrite(osp.join(png_dir, 'a.png'), img)
        stats = convert_panoptic_to_entities(
            pan_json, png_dir, out, show_progress=False)
        assert stats['skipped_images'] == {'wrong_png_mode': 1}
    # PNG/image size mismatch
    pan_json, png_dir = _write_case(
        tmp_path, ids, [_seg(4, 1, 9)], size=(9, 8))
    stats = convert_panoptic_to_entities(
        pan_json, png_dir, out, show_progress=False)
    assert stats['skipped_images'] == {'size_mismatch': 1}
    # id not in JSON
    pan_json, png_dir = _write_case(tmp_path, ids, [])
    stats = convert_panoptic_to_entities(
        pan_json, png_dir, out, show_progress=False)
    assert stats['skipped_images'] == {'id_not_in_json': 1}


def test_empty_image_is_kept_and_counted(tmp_path):
    pan_json, png_dir = _write_case(tmp_path, np.zeros((6, 6), np.int64), [])
    out = str(tmp_path / 'out.json')
    stats = convert_panoptic_to_entities(
        pan_json, png_dir, out, show_progress=False)
    assert stats['empty_images'] == 1 and stats['images_out'] == 1
    assert json.load(open(out))['annotations'] == []


def test_toy_panoptic_to_entities(toy_root, tmp_path):
    ann = osp.join(toy_root, 'annotations')
    out = str(tmp_path / 'entities.json')
    stats = convert_panoptic_to_entities(
        osp.join(ann, 'panoptic_val.json'),
        osp.join(ann, 'panoptic_val'),
        out,
        show_progress=False)
    pan = json.load(open(osp.join(ann, 'panoptic_val.json')))
    n_segments = sum(len(a['segments_info']) for a in pan['annotations'])
    assert stats['entities'] == n_segments
    assert stats['skipped_images'] == {} and stats['skipped_segments'] == {}
    ds = ClassAgnosticCocoDataset(
        ann_file=out,
        metainfo=dict(classes=('entity', )),
        data_prefix=dict(img=osp.join(toy_root, 'images', 'val') + '/'),
        pipeline=[])
    assert sum(len(d['instances']) for d in ds) == n_segments


@needs_sample
def test_real_panoptic_sample(tmp_path):
    out = str(tmp_path / 'entities.json')
    pan = json.load(open(osp.join(SAMPLE, 'panoptic_examples.json')))
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                 'panoptic2entities.py'),
        osp.join(SAMPLE, 'panoptic_examples.json'),
        osp.join(SAMPLE, 'panoptic_examples'), out
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    ents = json.load(open(out))
    segments = [s for a in pan['annotations'] for s in a['segments_info']]
    assert len(ents['annotations']) == len(segments) == 50
    assert sum(a['iscrowd']
               for a in ents['annotations']) == sum(s['iscrowd']
                                                    for s in segments)
    # same segments, same areas as the JSON, in order
    assert [a['area'] for a in ents['annotations']] == \
        [float(s['area']) for s in segments]
    assert ents['categories'] == [
        dict(id=1, name='entity', supercategory='entity')
    ]
    # masks equal the sample's RLE instances of the same segments
    det = json.load(
        open(osp.join(SAMPLE, 'panoptic_coco_detection_format.json')))

    def key(a, cat):
        return (a['image_id'], a[cat], a['area'])

    ref = {key(a, 'category_id'): a for a in det['annotations']}
    for a in ents['annotations']:
        r = ref[key(a, 'source_category_id')]
        assert np.array_equal(
            mask_utils.decode(a['segmentation']),
            mask_utils.decode(r['segmentation']))
