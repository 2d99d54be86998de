# Copyright (c) mmcasp contributors. All rights reserved.
"""``tools/casp.py --dry-run``: what a run would do, before anything
trains, also where the data or the network is missing."""
import os.path as osp

from mmcasp.pipeline import CaspPipeline, prepare_casp
from mmcasp.pipeline.plan import format_plan, plan_rows
from mmcasp.utils import load_config
from tests._helpers import REPO_ROOT
from tests.test_pipeline.test_casp import _casp

COCO = osp.join(REPO_ROOT, 'configs', 'casp', 'casp_r50_fpn_5x-3x_coco.py')


def test_plan_of_the_toy_pipeline(toy_root, tmp_path):
    pipe = CaspPipeline(_casp(toy_root), str(tmp_path / 'w'))
    rows = {r['stage']: r for r in plan_rows(pipe)}
    assert list(rows) == pipe.stage_names()
    assert all(r['status'] == 'to run' for r in rows.values())
    # 16 labeled images at the test's batch of 4, 1 epoch
    assert rows['labeler']['train images'] == '16'
    assert rows['labeler']['iterations'] == '4 x 1 at batch 4 per process'
    assert rows['warmup']['train images'] == '<= 8 (pseudo-labeled)'
    assert rows['finetune']['starts from'].startswith(
        "transferred from <the warmup stage's last checkpoint>")
    assert 'random weights' in rows['baseline']['starts from']
    assert format_plan(pipe).endswith('checks: nothing to fix')


def test_dry_run_of_a_coco_recipe_without_data_or_network(tmp_path):
    cfg = load_config(COCO)
    casp = prepare_casp(cfg, str(tmp_path / 'w'), str(tmp_path / 'coco'))
    text = format_plan(CaspPipeline(casp, str(tmp_path / 'w')))
    # what would be downloaded (the tests run with MMCASP_OFFLINE=1)
    assert 'would download https://download.pytorch.org/models/resnet50' in \
        text
    assert 'MMCASP_OFFLINE=1 switched off torchvision://resnet50' in text
    # every stage listed, the missing data said, not raised
    for stage in ('labeler', 'pseudo', 'warmup', 'finetune', 'baseline'):
        assert f'| {stage} | to run |' in text
    assert 'checks: the pipeline cannot start' in text
    assert 'instances_train2017.json does not exist' in text
