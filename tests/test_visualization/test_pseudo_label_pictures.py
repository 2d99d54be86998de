# Copyright (c) mmcasp contributors. All rights reserved.
"""show_pseudo_labels: selection, scaling, scores as 0.22, caption."""
import json
import os.path as osp
import sys

import mmcv
import numpy as np
import pytest

from mmcasp.visualization import (ScoreVisualizer, draw_pseudo_labels,
                                  label_caption, select_labels, upscale_factor)
from tests._helpers import REPO_ROOT


def test_select_labels_floor_then_top_k_highest_first():
    anns = [dict(id=i, score=s) for i, s in enumerate([0.3, 0.9, 0.1, 0.5])]
    assert [a['id'] for a in select_labels(anns)] == [1, 3, 0, 2]
    assert [a['id'] for a in select_labels(anns, 0.3)] == [1, 3, 0]
    assert [a['id'] for a in select_labels(anns, 0.3, top_k=2)] == [1, 3]
    # ground-truth style annotations without a score count as 1.0
    assert select_labels([dict(id=7)], 0.5) == [dict(id=7)]


def test_upscale_factor_and_caption():
    assert upscale_factor(128, 128, 512) == 4.0
    assert upscale_factor(96, 128, 512) == pytest.approx(512 / 96)
    assert upscale_factor(800, 600, 512) == 1.0
    assert upscale_factor(128, 128, 0) == 1.0
    assert label_caption(29, 29) == '29 labels'
    assert label_caption(1, 1) == '1 label'
    assert label_caption(29, 10, 0.3, 10) == \
        '29 labels, 10 shown (score >= 0.30, top 10)'


def test_scores_are_written_as_probabilities(monkeypatch):
    texts = []
    monkeypatch.setattr(ScoreVisualizer, 'draw_texts',
                        lambda self, t, *a, **k: texts.append(t))
    anns = [
        dict(bbox=[10, 10, 30, 20], score=0.2234, category_id=1),
        dict(bbox=[50, 40, 20, 20], score=0.9, category_id=1)
    ]
    image = np.full((64, 96, 3), 128, np.uint8)
    for show_class, expected in ((False, ['0.22', '0.90']),
                                 (True, ['object 0.22', 'object 0.90'])):
        texts.clear()
        vis = ScoreVisualizer(
            name=f'score_vis_{show_class}', show_class=show_class)
        vis.dataset_meta = dict(classes=('object', ))
        drawn, scale = draw_pseudo_labels(vis, image, anns, [1], '2 labels',
                                          256)
        assert scale == 4.0 and drawn.shape == (256, 384, 3)
        assert texts == expected + ['2 labels']


def test_tool_draws_scaled_pictures_of_a_pseudo_label_file(toy_root, tmp_path):
    with open(osp.join(toy_root, 'annotations',
                       'instances_unlabeled.json')) as f:
        gt = json.load(f)
    rng = np.random.RandomState(0)
    for a in gt['annotations']:
        a['score'] = float(rng.uniform(0.2, 1.0))
    gt['info'] = dict(image_root=osp.join(toy_root, 'images', 'unlabeled'))
    pseudo = tmp_path / 'pseudo.json'
    pseudo.write_text(json.dumps(gt))
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
    try:
        import show_pseudo_labels
    finally:
        sys.path.pop(0)
    out = tmp_path / 'show'
    show_pseudo_labels.main(
        [str(pseudo), '--out-dir',
         str(out), '-n', '2', '--top-k', '1'])
    for img in gt['images'][:2]:
        drawn = mmcv.imread(str(out / img['file_name']))
        assert drawn.shape[:2] == (512, 512)  # 96 px toy images, scaled up
    with pytest.raises(SystemExit, match='does not exist'):
        show_pseudo_labels.main([
            str(pseudo), '--image-root',
            str(tmp_path / 'nowhere'), '--out-dir',
            str(out)
        ])
