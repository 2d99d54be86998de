# Copyright (c) mmcasp contributors. All rights reserved.
import copy
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from mmcasp.datasets import (k_shot_subset, percent_split, percent_tag,
                             short_categories)
from tests._helpers import REPO_ROOT, subprocess_env

TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'split_coco.py')
MMDET_TOOL = osp.join(
    osp.dirname(importlib.util.find_spec('mmdet').origin), '.mim', 'tools',
    'misc', 'split_coco.py')


def _coco(n=1000, n_cats=5, rare=None, empty_cat=False, seed=0):
    """A synthetic COCO dict: ``n`` images, 0-3 annotations each over
    ``n_cats`` categories; ``rare`` extra annotations of category
    ``n_cats + 1`` on the first images; an unannotated category last."""
    rng = np.random.default_rng(seed)
    images = [
        dict(id=1000 + i, file_name=f'{i:05d}.jpg', height=32, width=32)
        for i in range(n)
    ]
    anns = []

    def add(image_id, cat_id):
        anns.append(
            dict(
                id=len(anns) + 1,
                image_id=image_id,
                category_id=cat_id,
                bbox=[1.0, 2.0, 3.0, 4.0],
                area=12.0,
                iscrowd=0))

    for img in images:
        for _ in range(int(rng.integers(0, 4))):
            add(img['id'], int(rng.integers(1, n_cats + 1)))
    cats = [dict(id=c, name=f'c{c}') for c in range(1, n_cats + 1)]
    if rare:
        cats.append(dict(id=n_cats + 1, name='rare'))
        for i in range(rare):
            add(images[i]['id'], n_cats + 1)
    if empty_cat:
        cats.append(dict(id=n_cats + 2, name='never'))
    return dict(
        info=dict(description='synthetic'),
        licenses=[dict(id=1, name='none')],
        images=images,
        annotations=anns,
        categories=cats)


@pytest.fixture(scope='module')
def coco():
    return _coco()


def _ids(part):
    return [img['id'] for img in part['images']]


@pytest.mark.parametrize('percent,expected', [(1, 10), (5, 50), (10, 100),
                                              (12.5, 125), (0.01, 1),
                                              (100, 1000)])
def test_percent_split_exact_counts(coco, percent, expected):
    labeled, unlabeled = percent_split(coco, percent, seed=1)
    assert len(labeled['images']) == expected
    assert len(unlabeled['images']) == 1000 - expected


def test_percent_split_disjoint_complete_ordered_and_owned(coco):
    before = copy.deepcopy(coco)
    labeled, unlabeled = percent_split(coco, 10, seed=3)
    assert coco == before  # input untouched
    lab, unl = _ids(labeled), _ids(unlabeled)
    assert not set(lab) & set(unl)
    assert sorted(lab + unl) == sorted(_ids(coco))
    order = {img_id: i for i, img_id in enumerate(_ids(coco))}
    assert lab == sorted(lab, key=order.get)
    assert unl == sorted(unl, key=order.get)
    for part, ids in ((labeled, set(lab)), (unlabeled, set(unl))):
        assert all(a['image_id'] in ids for a in part['annotations'])
        for key in ('info', 'licenses', 'categories'):
            assert part[key] == coco[key]
    got = labeled['annotations'] + unlabeled['annotations']
    assert sorted(a['id'] for a in got) == \
        sorted(a['id'] for a in coco['annotations'])
    kept = [a['id'] for a in labeled['annotations']]
    assert kept == [a['id'] for a in coco['annotations'] if a['id'] in kept]


def test_percent_split_seeded(coco):
    a = percent_split(coco, 10, seed=7)
    b = percent_split(coco, 10, seed=7)
    c = percent_split(coco, 10, seed=8)
    assert a == b
    assert _ids(a[0]) != _ids(c[0])


def test_percent_split_tolerates_missing_keys():
    coco = dict(images=[dict(id=i, file_name=f'{i}.jpg') for i in range(7)])
    labeled, unlabeled = percent_split(coco, 50, seed=0)
    assert len(labeled['images']) == 4  # round(3.5) == 4 (halves to even)
    assert labeled['annotations'] == [] and 'categories' not in labeled
    assert len(unlabeled['images']) == 3


@pytest.mark.parametrize('percent', [0, -1, 100.5, float('nan'), 'ten'])
def test_percent_split_refuses_bad_percent(coco, percent):
    with pytest.raises(ValueError, match=r'percent must be'):
        percent_split(coco, percent, seed=0)


@pytest.mark.parametrize('bad', [dict(images=[]), dict(), []])
def test_refuses_missing_or_empty_images(bad):
    with pytest.raises(ValueError, match='images'):
        percent_split(bad, 10, seed=0)
    with pytest.raises(ValueError, match='images'):
        k_shot_subset(bad, 10, seed=0)


@pytest.mark.parametrize('shots', [0, -3, 1.5, True])
def test_k_shot_refuses_bad_shots(coco, shots):
    with pytest.raises(ValueError, match='shots must be an integer >= 1'):
        k_shot_subset(coco, shots, seed=0)


def test_percent_tag_matches_mmdet_configs():
    assert percent_tag(10) == '10' and percent_tag(10.0) == '10'
    assert percent_tag(1) == '1' and percent_tag(12.5) == '12.5'
    assert percent_tag(0.5) == '0.5'


@pytest.mark.parametrize('shots', [1, 10, 30])
def test_k_shot_reaches_k_where_it_can(shots):
    coco = _coco(rare=2, empty_cat=True)
    with pytest.warns(UserWarning, match=r'fewer than') as record:
        subset = k_shot_subset(coco, shots, seed=0)
    counts = Counter(a['category_id'] for a in subset['annotations'])
    for cat in range(1, 6):
        assert counts[cat] >= shots
    # the rare category is taken whole (when short), and named
    assert counts[6] == 2 if shots > 2 else counts[6] >= shots
    message = str(record[-1].message)
    assert '7 (0)' in message
    if shots > 2:
        assert '6 (2)' in message
    # images kept with all their annotations, owned, order kept
    ids = _ids(subset)
    assert all(a['image_id'] in set(ids) for a in subset['annotations'])
    full = Counter(a['image_id'] for a in coco['annotations'])
    kept = Counter(a['image_id'] for a in subset['annotations'])
    assert all(kept[i] == full[i] for i in ids)
    order = {img_id: i for i, img_id in enumerate(_ids(coco))}
    assert ids == sorted(ids, key=order.get)
    assert subset['categories'] == coco['categories']
    # sampled, not everything (3, 25 and 78 images for seed 0)
    assert len(ids) <= 5 * shots


def test_k_shot_short_categories_and_determinism():
    coco = _coco(rare=2, empty_cat=True)
    assert short_categories(coco, 3) == {6: 2, 7: 0}
    assert short_categories(coco, 1) == {7: 0}
    with pytest.warns(UserWarning):
        a = k_shot_subset(coco, 10, seed=4)
    with pytest.warns(UserWarning):
        b = k_shot_subset(coco, 10, seed=4)
    with pytest.warns(UserWarning):
        c = k_shot_subset(coco, 10, seed=5)
    assert a == b
    assert _ids(a) != _ids(c)


def test_k_shot_without_short_categories_does_not_warn(coco, recwarn):
    k_shot_subset(coco, 5, seed=0)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


# mmdet's tool, for the record ----------------------------------------------


def _load_mmdet_split_coco():
    spec = importlib.util.spec_from_file_location('mmdet_split_coco',
                                                  MMDET_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.split_coco


@pytest.mark.parametrize('fold,measured', [(1, 98), (3, 94)])
def test_mmdet_split_coco_holds_fewer_images_than_asked(
        tmp_path, coco, fold, measured):
    """mmdet 3.3's split_coco draws with replacement: 10 % of 1000 images
    gives 98 (fold 1) or 94 (fold 3) labeled images instead of 100."""
    split_coco = _load_mmdet_split_coco()
    os.makedirs(tmp_path / 'annotations')
    with open(tmp_path / 'annotations' / 'instances_train2017.json', 'w') as f:
        json.dump(coco, f)
    state = np.random.get_state()  # mmdet's tool seeds the global RNG
    try:
        split_coco(str(tmp_path), str(tmp_path / 'out'), 10.0, fold)
    finally:
        np.random.set_state(state)
    # a float percent (as its argparse gives) is written '@10.0'
    name = tmp_path / 'out' / f'instances_train2017.{fold}@10.0.json'
    with open(name) as f:
        n_labeled = len(json.load(f)['images'])
    assert n_labeled == measured < round(10 / 100 * 1000) == 100
    assert len(percent_split(coco, 10.0, fold)[0]['images']) == 100


# the command line tool ------------------------------------------------------


def _run(*args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)],
                          cwd=REPO_ROOT,
                          env=subprocess_env(),
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_cli_percent_end_to_end(tmp_path):
    coco = _coco(n=40)
    ann = tmp_path / 'train.json'
    ann.write_text(json.dumps(coco))
    out = tmp_path / 'semi'
    proc = _run(ann, '--out-dir', out, '--percent', 10, 12.5, '--seeds', 1, 2)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 8
    names = sorted(os.listdir(out))
    assert names == sorted(f'train.{s}@{p}{suffix}.json' for s in (1, 2)
                           for p in ('10', '12.5')
                           for suffix in ('', '-unlabeled'))
    for seed in (1, 2):
        for p, k in ((10, 4), (12.5, 5)):
            labeled_file = out / f'train.{seed}@{percent_tag(p)}.json'
            with open(labeled_file) as f:
                labeled = json.load(f)
            with open(out / f'train.{seed}@{percent_tag(p)}-unlabeled.json') \
                    as f:
                unlabeled = json.load(f)
            assert (labeled, unlabeled) == percent_split(coco, p, seed)
            assert len(labeled['images']) == k
            assert f'{labeled_file}: {k} images, ' \
                f'{len(labeled["annotations"])} annotations' in lines
    assert not [n for n in os.listdir(out) if '.tmp' in n]


def test_cli_k_shot_end_to_end(tmp_path):
    coco = _coco(n=60, rare=1)
    ann = tmp_path / 'instances_train2017.json'
    ann.write_text(json.dumps(coco))
    proc = _run(ann, '--out-dir', tmp_path / 'fs', '--shots', 3, '--seeds', 7)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / 'fs' / 'instances_train2017.7@3shot.json'
    with open(path) as f:
        subset = json.load(f)
    with pytest.warns(UserWarning):
        assert subset == k_shot_subset(coco, 3, 7)
    assert 'rare (1)' in proc.stdout
    assert f'{path}: {len(subset["images"])} images' in proc.stdout


def test_cli_refuses_a_file_that_is_not_json(tmp_path):
    bad = tmp_path / 'train.json'
    bad.write_text('images: [not json')
    proc = _run(bad, '--out-dir', tmp_path / 'out', '--percent', 10)
    assert proc.returncode != 0
    assert 'is not valid JSON' in proc.stderr and str(bad) in proc.stderr
    assert 'Traceback' not in proc.stderr + proc.stdout
    assert not osp.exists(tmp_path / 'out')


def _tool_module():
    spec = importlib.util.spec_from_file_location('mmcasp_split_coco', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_help_and_argument_errors_in_process(tmp_path, capsys):
    tool = _tool_module()
    with pytest.raises(SystemExit) as e:
        tool.parse_args(['--help'])
    assert e.value.code == 0
    text = capsys.readouterr().out
    assert 'WITH replacement' in text and '@10.0' in text
    with pytest.raises(SystemExit) as e:
        tool.parse_args(['a.json', '--out-dir', 'o', '--percent', '0'])
    assert e.value.code == 2
    assert '(0, 100]' in capsys.readouterr().err
    with pytest.raises(SystemExit):  # one mode, not both
        tool.parse_args(
            ['a.json', '--out-dir', 'o', '--percent', '1', '--shots', '1'])
    capsys.readouterr()
    # a COCO file with problems, and one without images: messages, rc 1
    broken = tmp_path / 'broken.json'
    broken.write_text(
        json.dumps(
            dict(
                images=[dict(id=1, file_name='a.jpg')],
                annotations=[dict(id=1, image_id=2, bbox=[0, 0, 1, 1])])))
    assert tool.main(
        [str(broken), '--out-dir',
         str(tmp_path), '--percent', '10']) == 1
    assert '"image_id" 2 is not the id' in capsys.readouterr().err
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps(dict(images=[], annotations=[])))
    assert tool.main([str(empty), '--out-dir',
                      str(tmp_path), '--shots', '1']) == 1
    assert 'lists no images' in capsys.readouterr().err
