# Copyright (c) mmcasp contributors. All rights reserved.
"""``list_images`` (arrays, streamed) lists what ``collect_images`` lists:
same entries, order, ids, refusals with the same example names, same
errors."""
import json
import os

import cv2
import numpy as np
import pytest

from mmcasp.datasets import (ImageList, ImageSourceError, collect_images,
                             list_images)


def _img(path):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    cv2.imwrite(str(path), np.full((4, 5, 3), 9, np.uint8))


def _same(source, root=None):
    entries, skipped, r1 = collect_images(source, root)
    images, skipped2, r2 = list_images(source, root)
    assert isinstance(images, ImageList)
    assert list(images) == entries and r1 == r2
    assert dict(skipped) == dict(skipped2)
    assert skipped.examples == skipped2.examples
    assert images.ids.tolist() == [e['id'] for e in entries]
    return images, skipped2


def test_folder_walk_is_sorted_with_the_same_refusals(tmp_path):
    # names where a walk folder by folder and the sorted order differ:
    # 'a/' sorts after 'a.png' and 'a-1.png', before 'a0.png'
    for name in ('a.png', 'a-1.png', 'a/x.jpg', 'a/b/y.jpg', 'a0.png',
                 'b/z.PNG', 'c/d/e/f.webp'):
        _img(tmp_path / name)
    for junk in ('notes.txt', 'a/meta.json', 'a/b/.DS_Store', 'b/anim.gif',
                 'zz.txt', 'a/b/c.txt', 'a/b/d.txt'):
        (tmp_path / junk).write_text('x')
    os.symlink(str(tmp_path / 'c'), str(tmp_path / 'a' / 'link'))
    os.symlink(str(tmp_path / 'gone.jpg'), str(tmp_path / 'b' / 'dead.jpg'))
    images, skipped = _same(str(tmp_path))
    assert len(images) == 7 and skipped['other_file'] == 6
    assert skipped['linked_folder'] == 1 and skipped['broken_link'] == 1


def test_list_and_json_sources(tmp_path):
    for name in ('x/1.jpg', 'x/2.jpg', 'y/3.jpg'):
        _img(tmp_path / name)
    lst = tmp_path / 'list.txt'
    lst.write_text('# images\nx/2.jpg\nx/1.jpg\n\nx/2.jpg\nmissing.jpg\n'
                   'y/3.jpg\nx/./1.jpg\n')
    images, skipped = _same(str(lst))
    assert skipped == {'duplicate': 2, 'missing': 1}
    src = tmp_path / 'ann.json'
    src.write_text(
        json.dumps(
            dict(images=[
                dict(id=9, file_name='y/3.jpg', height=4, width=5),
                dict(id=4, file_name='x/1.jpg'),
                dict(id=5, file_name='x/1.jpg'),
            ])))
    images, _ = _same(str(src), str(tmp_path))
    assert images.ids.tolist() == [9, 4]
    assert images[0]['height'] == 4 and 'height' not in images[1]
    assert ImageList.from_entries(list(images), str(tmp_path))[1] == \
        images[1]


def test_errors_are_those_of_collect_images(tmp_path):
    (tmp_path / 'empty').mkdir()
    for source in (str(tmp_path / 'empty'), str(tmp_path / 'nope')):
        with pytest.raises(ImageSourceError) as a:
            collect_images(source)
        with pytest.raises(ImageSourceError) as b:
            list_images(source)
        assert str(a.value) == str(b.value)
    lst = tmp_path / 'bad.txt'
    lst.write_text('../escape.jpg\n')
    with pytest.raises(ImageSourceError, match='escapes the image root'):
        list_images(str(lst))
