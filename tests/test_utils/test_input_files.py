# Copyright (c) mmcasp contributors. All rights reserved.
"""User files: a message naming the file, the entry and what to fix."""
import json

import pytest

from mmcasp.utils import (InputFileError, check_coco_file, coco_problems,
                          load_config, load_json)


def _coco(**kw):
    data = dict(
        images=[dict(id=1, file_name='a.jpg', height=4, width=5)],
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=1,
                bbox=[0, 0, 2, 2],
                segmentation=[[0, 0, 2, 0, 2, 2]])
        ],
        categories=[dict(id=1, name='object')])
    data.update(kw)
    return data


def test_load_json_says_what_is_wrong(tmp_path):
    with pytest.raises(InputFileError, match='does not exist'):
        load_json(str(tmp_path / 'nope.json'))
    with pytest.raises(InputFileError, match='is a folder'):
        load_json(str(tmp_path))
    bad = tmp_path / 'bad.json'
    bad.write_text('{"images": [\n  {"id": 1,}\n]}')
    with pytest.raises(InputFileError, match=r'line 2, column 12') as e:
        load_json(str(bad), 'image source')
    assert str(bad) in str(e.value) and 'image source' in str(e.value)
    binary = tmp_path / 'img.json'
    binary.write_bytes(b'\xff\xd8\xff\xe0' + bytes(range(256)))
    with pytest.raises(InputFileError, match='not UTF-8'):
        load_json(str(binary))


def test_a_valid_file_has_no_problems(tmp_path):
    assert coco_problems(_coco()) == []
    rle = dict(size=[4, 5], counts='04')
    assert coco_problems(
        _coco(annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=1,
                bbox=[0., 0., 1.5, 2.],
                segmentation=rle,
                score=0.3)
        ])) == []
    path = tmp_path / 'ok.json'
    path.write_text(json.dumps(_coco()))
    assert check_coco_file(str(path))['images'][0]['id'] == 1


@pytest.mark.parametrize('data, expected', [
    ([1, 2], 'JSON list'),
    (dict(annotations=[]), 'no "images" list'),
    (dict(images=[dict(id=1)]), 'images[0] (id 1): needs "file_name"'),
    (dict(images=[dict(id='abc', file_name='a.jpg')]),
     'images[0] (id \'abc\'): "id" must be an integer'),
    (dict(images=[dict(id=True, file_name='a.jpg')]), 'must be an integer'),
    (dict(images=['a.jpg']), 'images[0] is a str'),
    (dict(images=[dict(id=1, file_name='a.jpg', height=0)]),
     '"height" must be a positive integer'),
    (dict(images=[dict(id=1, file_name='a'),
                  dict(id=1, file_name='b')]), 'used more than once: 1'),
])
def test_image_entry_problems(data, expected):
    problems = coco_problems(data, annotations=False)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize('ann, expected', [
    (dict(image_id=9), '"image_id" 9 is not the id'),
    (dict(category_id=7), '"category_id" 7 is not the id'),
    (dict(bbox=[0, 0, -1, 2]), '"bbox" must be [x, y, width, height]'),
    (dict(bbox=[0, 0, 1]), '"bbox" must be'),
    (dict(segmentation=[[0, 1, 2]]), 'at least 3 x, y pairs'),
    (dict(segmentation=dict(counts='a')), 'needs "size"'),
    (dict(segmentation='rle'), 'list of polygons or an RLE object'),
])
def test_annotation_problems(ann, expected):
    base = _coco()['annotations'][0]
    problems = coco_problems(_coco(annotations=[dict(base, **ann)]))
    assert any(expected in p and 'annotations[0] (id 1)' in p
               for p in problems), problems


def test_check_coco_file_lists_the_first_problems(tmp_path):
    path = tmp_path / 'many.json'
    path.write_text(json.dumps(dict(images=[dict(id=i) for i in range(8)])))
    with pytest.raises(InputFileError) as e:
        check_coco_file(str(path), what='pseudo-label file')
    msg = str(e.value)
    assert msg.startswith(f'pseudo-label file {path}:')
    assert msg.count('needs "file_name"') == 5 and '... and 3 more' in msg


def test_load_config_says_what_is_wrong(tmp_path):
    with pytest.raises(InputFileError, match='does not exist'):
        load_config(str(tmp_path / 'nope.py'))
    bad = tmp_path / 'bad.py'
    bad.write_text('a = 1\nb = (\n')
    with pytest.raises(InputFileError, match=r'bad.py, line \d') as e:
        load_config(str(bad))
    assert 'syntax' in str(e.value)
    child = tmp_path / 'child.py'
    child.write_text("_base_ = './no_such_base.py'\n")
    with pytest.raises(InputFileError, match='cannot be read'):
        load_config(str(child))
    good = tmp_path / 'good.py'
    good.write_text('a = dict(b=1)\n')
    assert load_config(str(good)).a.b == 1
