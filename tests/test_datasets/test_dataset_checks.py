# Copyright (c) mmcasp contributors. All rights reserved.
"""A config's data is checked before any Runner exists: missing annotation
files, and training datasets that keep no image (an empty pseudo-label
file, a file whose categories are not the config's classes), each named
with the fix."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmcasp.datasets import (ClassAgnosticCocoDataset, DatasetCheckError,
                             EmptyDatasetError, annotation_file_problems,
                             check_datasets, empty_dataset_problems,
                             leaf_datasets)
from mmcasp.utils import register_all_modules
from tests._helpers import REPO_ROOT, TINY_CONFIG

#: mmdet's CocoDataset with the toy's class names (class-specific)
SPECIFIC = osp.join(REPO_ROOT, 'configs', 'condinst',
                    'condinst_r18w16_fpn_toy-12e_toy.py')
EMPTY = dict(images=[], annotations=[], categories=[dict(id=1, name='object')])


def _config(path, toy_root, ann_file):
    cfg = Config.fromfile(path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = toy_root + '/'
    cfg.train_dataloader.dataset.ann_file = ann_file
    for name in ('val_evaluator', 'test_evaluator'):
        cfg[name].ann_file = osp.join(toy_root, 'annotations',
                                      'instances_val.json')
    return cfg


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return str(path)


def test_leaf_datasets_inside_wrappers():
    a, b, c = dict(type='A'), dict(type='B'), dict(type='C')
    loader = dict(
        dataset=dict(
            type='ConcatDataset',
            datasets=[a, dict(type='RepeatDataset', dataset=b), c]))
    assert sorted(d['type'] for d in leaf_datasets(loader)) == ['A', 'B', 'C']
    assert list(leaf_datasets(None)) == []


def test_missing_annotation_files_are_named_once(toy_root):
    cfg = _config(TINY_CONFIG, toy_root, 'annotations/nope.json')
    cfg.val_evaluator.ann_file = 'elsewhere/gt.json'
    problems = annotation_file_problems(cfg)
    assert len(problems) == 2
    assert problems[0].startswith('train_dataloader: the annotation file '
                                  f'{toy_root}/annotations/nope.json does '
                                  'not exist')
    assert 'val_evaluator: the annotation file elsewhere/gt.json' in \
        problems[1]
    # val and test loaders share the test file: nothing more to say
    cfg.train_dataloader.dataset.ann_file = 'annotations/instances_val.json'
    assert annotation_file_problems(cfg) == [problems[1]]


def test_empty_pseudo_label_file_is_named_with_the_fix(toy_root, tmp_path):
    empty = _write(tmp_path, 'pseudo.json', EMPTY)
    cfg = _config(TINY_CONFIG, toy_root, empty)
    problems = empty_dataset_problems(cfg)
    assert len(problems) == 1
    assert problems[0].startswith(f'train_dataloader: {empty} leaves no '
                                  'image to train on: it lists 0 images')
    assert 'lower delta' in problems[0]
    with pytest.raises(DatasetCheckError, match='leaves no image'):
        check_datasets(cfg, ['train_dataloader'], (), ['train_dataloader'])
    # the same file as a val split: nothing is filtered there, and the
    # check of train loaders only is not about it
    assert empty_dataset_problems(cfg, ()) == []


def test_categories_outside_the_classes_leave_nothing(toy_root, tmp_path):
    """mmdet's CocoDataset keeps only the config's classes: a file with
    other category names keeps no image, as the Runner would find."""
    with open(osp.join(toy_root, 'annotations', 'instances_val.json')) as f:
        coco = json.load(f)
    for cat in coco['categories']:
        cat['name'] = 'other_' + cat['name']
    renamed = _write(tmp_path, 'renamed.json', coco)
    cfg = _config(SPECIFIC, toy_root, renamed)
    problems = empty_dataset_problems(cfg)
    assert len(problems) == 1
    n = len(coco['images'])
    assert f'it lists {n} images, 0 of them with a label' in problems[0]
    # the original file trains
    cfg.train_dataloader.dataset.ann_file = 'annotations/instances_val.json'
    assert empty_dataset_problems(cfg) == []


def test_class_agnostic_dataset_says_it_is_empty(toy_root, tmp_path):
    register_all_modules()
    empty = _write(tmp_path, 'pseudo.json', EMPTY)
    with pytest.raises(EmptyDatasetError, match='leaves no image to train'):
        ClassAgnosticCocoDataset(
            ann_file=empty,
            data_prefix=dict(img=toy_root),
            filter_cfg=dict(filter_empty_gt=True),
            pipeline=[])
    with pytest.raises(EmptyDatasetError, match='lists no image to score'):
        ClassAgnosticCocoDataset(
            ann_file=empty, data_prefix=dict(img=toy_root), test_mode=True)
