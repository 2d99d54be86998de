# Copyright (c) mmcasp contributors. All rights reserved.
"""benchmarks/train_speed.py end to end at a toy size: both models train on
real COCO-mini images, each in its own process."""
import importlib.util
import json
import os.path as osp
import subprocess
import sys

import pytest

from tests._helpers import REPO_ROOT, SHARED, subprocess_env

spec = importlib.util.spec_from_file_location(
    'bench_train_speed', osp.join(REPO_ROOT, 'benchmarks', 'train_speed.py'))
speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speed)

COCO_MINI = osp.join(SHARED, 'data', 'coco-mini')


def _run_train_speed(tmp_path, *extra):
    """benchmarks/train_speed.py at a toy size (1 step of batch 1 at 128
    px, no loader processes) in a subprocess; its results json."""
    out = tmp_path / 'speed.json'
    subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'benchmarks', 'train_speed.py'), '--data-root',
        COCO_MINI, '--iters', '1', '--warmup', '0', '--batch', '1', '--size',
        '128', '--workers', '0', '--out',
        str(out), *extra
    ],
                   check=True,
                   env=subprocess_env(),
                   cwd=REPO_ROOT,
                   timeout=600)
    return json.loads(out.read_text())


@pytest.mark.skipif(
    not osp.isdir(COCO_MINI),
    reason=f'needs the shared COCO-mini images at {COCO_MINI}')
def test_train_speed_measures_both_models_in_fresh_processes(tmp_path):
    res = _run_train_speed(tmp_path)
    assert [r['model'] for r in res['runs']] == [
        'class-agnostic CondInst (mmcasp)', 'CondInst (mmdet, 80 classes)'
    ]
    for r in res['runs']:
        assert r['images_per_s'] > 0
        assert 0 <= r['data_wait_share'] <= 1
        assert r['peak_memory_mib'] > 0
        assert 'only this case' in r['peak_memory_kind']
    assert 'case' not in res['settings']


@pytest.mark.skipif(
    not osp.isdir(COCO_MINI),
    reason=f'needs the shared COCO-mini images at {COCO_MINI}')
def test_train_speed_measures_a_given_config(tmp_path):
    """``--config``: any training config instead of the two models (here
    the 80-class one, at its own data settings, rescaled by ``--size``)."""
    config = osp.join(REPO_ROOT, 'benchmarks', 'configs',
                      'condinst_effl0_fpn_36e_coco-mini.py')
    res = _run_train_speed(tmp_path, '--config', config)
    assert [r['model'] for r in res['runs']] == [config]
    assert res['runs'][0]['images_per_s'] > 0
    assert res['settings']['config'] == [config]


def test_largest_scale():
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomChoiceResize', scales=[(512, 384), (512, 512)]),
        dict(type='Resize', scale=(640, 160))
    ]
    assert speed.largest_scale(pipeline) == 640
    assert speed.largest_scale(pipeline[:1]) is None
