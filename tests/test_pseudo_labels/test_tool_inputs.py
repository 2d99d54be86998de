# Copyright (c) mmcasp contributors. All rights reserved.
"""The labeling tools with the inputs real datasets contain: bad JSON
sources stop before the model loads; odd but valid images are labeled."""
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from tests._helpers import REPO_ROOT, TINY_CONFIG
from tests.test_pseudo_labels.test_tools import checkpoint  # noqa: F401
from tests.test_pseudo_labels.test_tools import ARGS, OPTS, _run

TOOL = osp.join(REPO_ROOT, 'tools', 'pseudo_label.py')
TOOLS = osp.join(REPO_ROOT, 'tools')


@pytest.mark.parametrize('content, expected', [
    ('{"images": [{"id": 1, "file_name": "a.png"},', 'is not valid JSON'),
    ('{"images": [{"id": 1}]}', 'images[0] (id 1): needs "file_name"'),
    ('{"images": [{"id": "abc", "file_name": "a.png"}]}',
     'images[0] (id \'abc\'): "id" must be an integer'),
    ('{"images": [{"id": 1, "file_name": "a.png"}, '
     '{"id": 1, "file_name": "b.png"}]}', 'used more than once: 1'),
    ('[]', 'not a COCO object'),
])
def test_bad_json_source_stops_before_the_model_loads(tmp_path, content,
                                                      expected):
    src = tmp_path / 'source.json'
    src.write_text(content)
    # the checkpoint does not exist: reaching the model would fail otherwise
    proc = _run([
        sys.executable, TOOL, TINY_CONFIG, 'no-such.pth', '--images',
        str(src), '--out',
        str(tmp_path / 'o.json')
    ],
                check=False)
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    assert expected in proc.stderr and str(src) in proc.stderr, proc.stderr


def test_analysis_tools_name_the_bad_file(tmp_path):
    bad = tmp_path / 'pseudo.json'
    bad.write_text('{"images": [], "annotations": [{"id": 1}]}')
    good = tmp_path / 'gt.json'
    good.write_text(json.dumps(dict(images=[], annotations=[])))
    eval_tool = ['analysis_tools/eval_pseudo_labels.py', str(bad), str(good)]
    show_tool = [
        'analysis_tools/show_pseudo_labels.py',
        str(bad), '--out-dir',
        str(tmp_path / 'vis')
    ]
    for args in (eval_tool, show_tool):
        proc = _run(
            [sys.executable, osp.join(TOOLS, args[0])] + args[1:], check=False)
        assert proc.returncode != 0
        assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
        assert f'pseudo-label file {bad}' in proc.stderr, proc.stderr
        assert 'annotations[0] (id 1)' in proc.stderr


def test_odd_valid_images_are_labeled(checkpoint, tmp_path):  # noqa: F811
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(
        rng.integers(0, 255, (96, 128, 3), dtype=np.uint8), (5, 5), 0)
    folder = tmp_path / 'imgs'
    folder.mkdir()
    jpg = cv2.imencode('.jpg', img)[1].tobytes()
    # a phone's motion photo: a video appended after the JPEG's end
    (folder / 'motion.jpg').write_bytes(jpg + b'\x00\x00\x00\x18ftypmp42' +
                                        bytes(range(256)) * 64)
    cv2.imwrite(str(folder / 'strip.png'), cv2.resize(img, (3000, 4)))
    cv2.imwrite(str(folder / 'pole.png'), cv2.resize(img, (4, 3000)))
    cv2.imwrite(str(folder / 'tiny.png'), img[:1, :1])
    out = str(tmp_path / 'p.json')
    _run([
        sys.executable, TOOL, TINY_CONFIG, checkpoint, '--images',
        str(folder), '--out', out
    ] + ARGS + OPTS)
    coco = json.load(open(out))
    stats = coco['info']['stats']
    assert stats['images_in'] == 4 and stats['images_skipped'] == {}, stats
    # the checkpoint labels every image whose boxes can be 1 px or more on
    # each side (tests/_fixed_labelers.py); the 1 x 1 px image only if a
    # box covers its pixel exactly, so it may be dropped as empty
    labeled = {im['file_name'] for im in coco['images']}
    assert labeled >= {'motion.jpg', 'strip.png', 'pole.png'}, stats
    for im in coco['images']:
        h, w = cv2.imread(str(folder / im['file_name'])).shape[:2]
        assert (im['height'], im['width']) == (h, w)
        anns = [a for a in coco['annotations'] if a['image_id'] == im['id']]
        assert anns, im['file_name']
        for ann in anns:
            assert ann['segmentation']['size'] == [h, w]
            x, y, bw, bh = ann['bbox']
            assert x >= 0 and y >= 0 and x + bw <= w + 1e-6 and \
                y + bh <= h + 1e-6
