# Copyright (c) mmcasp contributors. All rights reserved.
"""The COCO-mini benchmark's settings: scaled configs, per-method pipeline
settings, mean ± std aggregation (the runs themselves are in docs)."""
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

from mmcasp.pipeline import CaspPipeline, PipelineError
from tests._helpers import REPO_ROOT

spec = importlib.util.spec_from_file_location(
    'bench_coco_mini', osp.join(REPO_ROOT, 'benchmarks', 'coco_mini.py'))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.fixture(scope='module')
def cfgs(tmp_path_factory):
    out = tmp_path_factory.mktemp('cfgs')
    return {
        k:
        bench.scaled_config(v, str(out / osp.basename(v)),
                            bench.PROFILES['cpu'])
        for k, v in bench.CONFIGS.items()
    }


def test_scaled_configs(cfgs):
    ca = Config.fromfile(cfgs['ca'])
    assert ca.model.neck.out_channels == 64
    assert ca.model.bbox_head.feat_channels == 64
    assert ca.train_dataloader.batch_size == 4
    resize = [
        t for t in ca.test_dataloader.dataset.pipeline if t['type'] == 'Resize'
    ][0]
    assert tuple(resize['scale']) == (192, 192)
    cs = Config.fromfile(cfgs['cs'])
    assert cs.model.bbox_head.num_classes == 80
    assert cs.train_dataloader.dataset.type == 'CocoDataset'
    predet = Config.fromfile(cfgs['predet'])
    views = [
        t for t in predet.train_dataloader.dataset.pipeline
        if t['type'] == 'TwoViews'
    ][0]
    assert tuple(views['out_size']) == (128, 128)


def test_every_method_is_a_valid_pipeline_up_to_the_data(cfgs, tmp_path):
    data = dict(
        labeled=dict(ann='/nowhere/l.json', img='/nowhere'),
        unlabeled=dict(ann='/nowhere/u.json', img='/nowhere'),
        val=dict(ann='/nowhere/v.json', img='/nowhere'))
    for method in bench.METHODS:
        casp = bench.method_casp(method, cfgs, bench.PROFILES['cpu'], data, 1)
        assert casp['seed'] == 1
        with pytest.raises(PipelineError) as e:
            CaspPipeline(casp, str(tmp_path / method)).validate()
        # only the (missing) data is wrong, not the method's settings
        problems = [
            line for line in str(e.value).splitlines()[1:]
            if 'does not exist' not in line
        ]
        assert problems == [], (method, problems)
    assert bench.method_casp('dap', cfgs, bench.PROFILES['cpu'], data,
                             0)['labeler']['type'] == 'cam'
    assert bench.method_casp('casp-cs', cfgs, bench.PROFILES['cpu'], data,
                             0)['pseudo']['class_specific']


def test_aggregate_mean_and_std():

    def run(ap):
        return dict(
            stages=dict(finetune=dict(metrics={'coco/bbox_mAP': ap})),
            extra={'held_out': {
                'finetune': {
                    'coco/bbox_mAP': ap / 2
                }
            }},
            gap={},
            wall_s=10.)

    per_run = {('casp', 0): run(0.1), ('casp', 1): run(0.3)}
    rows = bench.aggregate(per_run, ['casp', 'dap'], [0, 1])
    assert len(rows) == 1
    assert rows[0]['AP^det'] == '0.200 ± 0.141'
    assert rows[0]['held_out AP^det'] == '0.100 ± 0.071'
    assert rows[0]['seeds'] == 2
