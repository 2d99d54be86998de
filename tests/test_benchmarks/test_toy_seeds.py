# Copyright (c) mmcasp contributors. All rights reserved.
"""The toy seed benchmark's rows (its runs are in docs/benchmarks.md)."""
import importlib.util
import os.path as osp

from tests._helpers import REPO_ROOT

spec = importlib.util.spec_from_file_location(
    'bench_toy_seeds', osp.join(REPO_ROOT, 'benchmarks', 'toy_seeds.py'))
toy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(toy)


def test_the_baseline_row_holds_the_baseline_stage_only():
    out = {
        'baseline': dict(wall_s=10.0, metrics={'coco/bbox_mAP': 0.1}),
        'labeler': dict(wall_s=5.0),
        'finetune': dict(wall_s=7.0, metrics={'coco/bbox_mAP': 0.2}),
        'evaluate': dict(wall_s=1.0),
    }
    loss = {'baseline': {1: 2.0}, 'finetune': {1: 1.5}}
    runs = toy.seed_runs(out, loss, 'casp')
    assert set(runs) == {'baseline', 'casp'}
    assert runs['baseline']['stages'] == {'baseline': out['baseline']}
    assert runs['baseline']['loss'] == {'baseline': {1: 2.0}}
    assert runs['casp']['stages'] is out and runs['casp']['loss'] is loss
    # the pipeline's evaluate stage counts in the method's time, the
    # baseline's training only in the baseline's
    # (loading toy_seeds above put benchmarks/ on sys.path and imported
    # coco_mini from there)
    stage_seconds = importlib.import_module('coco_mini').stage_seconds
    assert stage_seconds(runs['baseline'], 'baseline') == 10.0
    assert stage_seconds(runs['casp'], 'casp') == 13.0
