# Copyright (c) mmcasp contributors. All rights reserved.
"""What the pipeline checks before any stage runs, which stages a request
runs, and reading records of older runs (no training)."""
import copy

import pytest
from mmdet.models.dense_heads import PAAHead

from mmcasp.pipeline import CaspPipeline, PipelineError, stage_dependencies
from mmcasp.pseudo_labels import objectness_rule
from tests.test_pipeline.test_casp import _casp


def test_steps_with_rounds(toy_root, tmp_path):
    casp = dict(_casp(toy_root), rounds=2)
    pipe = CaspPipeline(casp, str(tmp_path / 'w'))
    assert pipe.steps() == [
        'labeler', 'pseudo', 'warmup', 'pseudo_round2', 'warmup_round2',
        'finetune', 'baseline', 'evaluate'
    ]
    # one of them alone: round 1 only (round 2 needs round 1's warmup)
    assert pipe.steps(['pseudo']) == ['pseudo']
    assert pipe.steps(['warmup', 'finetune']) == ['warmup', 'finetune']
    # a later round by its name
    assert pipe.steps(['pseudo_round2',
                       'warmup_round2']) == ['pseudo_round2', 'warmup_round2']
    with pytest.raises(PipelineError, match='unknown stages'):
        pipe.run(['warmup_round3'])


def test_every_problem_is_listed(toy_root, tmp_path):
    bad = _casp(toy_root)
    bad['labeler']['config'] = 'configs/nope.py'
    bad['warmup']['config'] = 'configs/nowhere.py'
    bad['data']['val']['ann'] = str(tmp_path / 'no_val.json')
    with pytest.raises(PipelineError) as e:
        CaspPipeline(bad, str(tmp_path / 'w')).validate()
    msg = str(e.value)
    assert 'labeler.config' in msg and 'configs/nope.py' in msg
    assert 'warmup.config' in msg and 'configs/nowhere.py' in msg
    assert 'data.val.ann' in msg


def test_schedules_that_cannot_be_rescaled_stop_before_training(
        toy_root, tmp_path):
    casp = _casp(toy_root)
    casp['warmup']['cfg_options'] = {}
    cfg = tmp_path / 'warmup.py'
    from tests._helpers import REPO_ROOT
    cfg.write_text(
        f"_base_ = '{REPO_ROOT}/{casp['warmup']['config']}'\n"
        "param_scheduler = [dict(type='MyOwnLR', begin=0, end=12)]\n")
    casp['warmup']['config'] = str(cfg)
    with pytest.raises(PipelineError, match='warmup.epochs: .*MyOwnLR'):
        CaspPipeline(casp, str(tmp_path / 'w')).validate()


def test_the_default_pretrain_on_does_not_change_digests(toy_root):
    casp = _casp(toy_root)
    explicit = dict(copy.deepcopy(casp), pretrain_on='objects')
    assert stage_dependencies(explicit) == stage_dependencies(casp)
    entities = dict(copy.deepcopy(casp), pretrain_on='entities')
    assert stage_dependencies(entities)['warmup'] != \
        stage_dependencies(casp)['warmup']


def test_old_labeler_records_are_described(toy_root, tmp_path):
    """A labeler record written before labelers described themselves (only
    ``kind``) gets the present labeler's names in the report."""
    casp = _casp(toy_root)
    casp['labeler'] = dict(type='cam', scales=[96])
    pipe = CaspPipeline(casp, str(tmp_path / 'w'))
    pipe.records.write('labeler', dict(kind='cam', wall_s=0.0))
    rec = pipe.results()['labeler']
    assert rec['method'] == 'DAP'
    assert rec['description'] == 'labeler (CAM, DAP)'


def test_paa_scores_are_objectness_already():

    class Model:
        bbox_head = PAAHead.__new__(PAAHead)

    assert objectness_rule(Model())[0].startswith('objectness')
