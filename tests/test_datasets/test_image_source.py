# Copyright (c) mmcasp contributors. All rights reserved.
import json
import os
import os.path as osp

import cv2
import mmcv
import numpy as np
import pytest
from PIL import Image

from mmcasp.datasets import (ImageSourceError, collect_images, decode_image,
                             safe_relative_path)


def _img(path, h=20, w=30, value=120):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))


def test_folder_is_recursive_sorted_and_keeps_same_names_apart(tmp_path):
    _img(tmp_path / 'b' / 'x.jpg')
    _img(tmp_path / 'a' / 'x.jpg')
    _img(tmp_path / 'top.png')
    (tmp_path / 'notes.txt').write_text('not an image')
    entries, skipped, root = collect_images(str(tmp_path))
    assert [e['file_name'] for e in entries] == [
        os.path.join('a', 'x.jpg'),
        os.path.join('b', 'x.jpg'), 'top.png'
    ]
    assert [e['id'] for e in entries] == [1, 2, 3]
    assert root == str(tmp_path)
    # the sidecar is counted, not labeled (issue 28: nothing left out
    # without a word)
    assert skipped == {'other_file': 1}
    assert skipped.examples == {'other_file': ['notes.txt']}


def test_json_source_keeps_ids_and_refuses_escapes(tmp_path):
    _img(tmp_path / 'imgs' / 'a.jpg')
    src = tmp_path / 'ann.json'
    src.write_text(json.dumps(dict(images=[dict(id=7, file_name='a.jpg')])))
    entries, _, _ = collect_images(str(src), str(tmp_path / 'imgs'))
    assert entries[0]['id'] == 7
    for bad in ('../a.jpg', '/etc/passwd', 'x/../../a.jpg'):
        src.write_text(json.dumps(dict(images=[dict(id=1, file_name=bad)])))
        with pytest.raises(ImageSourceError):
            collect_images(str(src), str(tmp_path / 'imgs'))
    src.write_text(
        json.dumps(
            dict(images=[
                dict(id=1, file_name='a.jpg'),
                dict(id=1, file_name='b.jpg')
            ])))
    with pytest.raises(
            ImageSourceError, match='image ids used more than once: 1'):
        collect_images(str(src), str(tmp_path / 'imgs'))


def test_list_source_counts_duplicates_and_missing(tmp_path):
    _img(tmp_path / 'a.jpg')
    lst = tmp_path / 'list.txt'
    lst.write_text('a.jpg\n# comment\na.jpg\nmissing.jpg\n')
    entries, skipped, _ = collect_images(str(lst))
    assert len(entries) == 1
    assert skipped == {'duplicate': 1, 'missing': 1}


def test_empty_or_absent_source_is_an_error(tmp_path):
    with pytest.raises(ImageSourceError, match='does not exist'):
        collect_images(str(tmp_path / 'nope'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ImageSourceError, match='no readable image'):
        collect_images(str(tmp_path / 'empty'))
    assert safe_relative_path('a/./b.jpg', '/r') == os.path.join('a', 'b.jpg')


def test_decode_bad_and_odd_images(tmp_path):
    ok = tmp_path / 'ok.jpg'
    _img(ok)
    data = ok.read_bytes()
    cases = {
        'empty.jpg': b'',
        'trunc.jpg': data[:len(data) // 2],
        'text.jpg': b'hello, not an image' * 10,
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    assert decode_image(str(tmp_path / 'empty.jpg'))[1] == 'empty_file'
    assert decode_image(str(tmp_path / 'trunc.jpg'))[1] == 'truncated'
    assert decode_image(str(tmp_path / 'text.jpg'))[1] == 'not_an_image'
    assert decode_image(str(tmp_path / 'nope.jpg'))[1] == 'unreadable_path'
    assert decode_image(str(ok), max_pixels=100)[1] == 'too_large'

    gray = tmp_path / 'gray.png'
    cv2.imwrite(str(gray), np.full((8, 9), 77, np.uint8))
    deep = tmp_path / 'deep.png'
    cv2.imwrite(str(deep), np.full((8, 9), 40000, np.uint16))
    rgba = tmp_path / 'rgba.png'
    cv2.imwrite(str(rgba), np.full((8, 9, 4), 200, np.uint8))
    cmyk = tmp_path / 'cmyk.jpg'
    Image.new('CMYK', (9, 8), (0, 50, 100, 0)).save(str(cmyk))
    for p in (gray, deep, rgba, cmyk):
        img, reason = decode_image(str(p))
        assert reason is None, p
        assert img.shape == (8, 9, 3) and img.dtype == np.uint8, p
    # EXIF orientation is applied exactly as mmdet's loading does
    exif = tmp_path / 'exif.jpg'
    im = Image.fromarray(np.zeros((10, 30, 3), np.uint8))
    ex = im.getexif()
    ex[0x0112] = 6  # rotate 90 degrees
    im.save(str(exif), exif=ex)
    img, _ = decode_image(str(exif))
    assert img.shape[:2] == (30, 10)
    assert img.shape == mmcv.imread(str(exif)).shape


def _real_like(path, progressive=False):
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(
        rng.integers(0, 255, (96, 128, 3), dtype=np.uint8), (5, 5), 0)
    params = [cv2.IMWRITE_JPEG_PROGRESSIVE, 1] if progressive else []
    ok, enc = cv2.imencode(osp.splitext(str(path))[1], img, params)
    assert ok
    return enc.tobytes()


def test_data_after_the_image_is_not_truncation(tmp_path):
    """Motion photos and camera trailers append data after JPEG's EOI (and
    after PNG's IEND): the image is complete and decodes as without it."""
    for ext in ('.jpg', '.png'):
        clean = _real_like(tmp_path / f'x{ext}')
        trailer = b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)) * 40
        (tmp_path / f'clean{ext}').write_bytes(clean)
        (tmp_path / f'trailer{ext}').write_bytes(clean + trailer)
        ref, reason = decode_image(str(tmp_path / f'clean{ext}'))
        img, reason2 = decode_image(str(tmp_path / f'trailer{ext}'))
        assert reason is None and reason2 is None, (ext, reason2)
        np.testing.assert_array_equal(img, ref)


def test_truncation_is_found_by_decoding(tmp_path):
    cases = {
        'cut.jpg':
        _real_like(tmp_path / 'a.jpg')[:-400],
        'cut_progressive.jpg':
        _real_like(tmp_path / 'a.jpg', progressive=True)[:-400],
        'cut.png':
        _real_like(tmp_path / 'a.png')[:-400],
    }
    # a thumbnail (EXIF/APP or comment segment) carries its own end
    # marker: a file cut after the thumbnail is still truncated
    main = _real_like(tmp_path / 'a.jpg')
    ok, thumb = cv2.imencode('.jpg', np.zeros((8, 8, 3), np.uint8))
    thumb = thumb.tobytes()
    segment = b'\xff\xfe' + (len(thumb) + 2).to_bytes(2, 'big') + thumb
    with_thumb = main[:2] + segment + main[2:]
    assert _decodes_whole(tmp_path, with_thumb)
    cases['cut_after_thumbnail.jpg'] = with_thumb[:len(segment) + 600]
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert decode_image(str(tmp_path / name))[1] == 'truncated', name


def _decodes_whole(tmp_path, data):
    path = tmp_path / 'whole.jpg'
    path.write_bytes(data)
    return decode_image(str(path))[1] is None
