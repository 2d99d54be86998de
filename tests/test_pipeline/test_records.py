# Copyright (c) mmcasp contributors. All rights reserved.
"""The record store of a pipeline run (no training)."""
import pytest

from mmcasp.pipeline import PipelineError, StageId, StageRecords
from mmcasp.pipeline.records import changed_keys, flatten


def test_flatten_and_changed_keys():
    assert flatten({'a': {'b': 1, 'c': [1]}}) == {'a.b': 1, 'a.c': [1]}
    assert changed_keys({'a': {'b': 1}}, {'a': {'b': 2}, 'x': None}) == \
        ['a.b']


def test_records_need_their_artifacts(tmp_path):
    settings = {'labeler': {'epochs': 1}}
    recs = StageRecords(str(tmp_path), settings=lambda s: settings[s])
    ckpt = tmp_path / 'l.pth'
    ckpt.write_bytes(b'x')
    assert recs.get('labeler') is None
    rec = recs.write('labeler', dict(checkpoint=str(ckpt)))
    assert rec['settings'] == {'epochs': 1}
    assert recs.get('labeler') == rec
    recs.check_current(['labeler'])
    settings['labeler'] = {'epochs': 2}
    assert recs.changed('labeler', rec) == ['epochs']
    with pytest.raises(PipelineError, match='labeler .*: epochs'):
        recs.check_current(['labeler'])
    ckpt.unlink()
    assert recs.get('labeler') is None  # its checkpoint is gone


def test_stage_dirs_and_round_names(tmp_path):
    recs = StageRecords(str(tmp_path), {'baseline': str(tmp_path / 'b')})
    assert recs.dir('baseline') == str(tmp_path / 'b')
    assert recs.dir('warmup') == str(tmp_path / 'warmup')
    assert StageId('pseudo', 1).name == 'pseudo'
    assert StageId('warmup', 3).name == 'warmup_round3'
    # names typed by a user or read from disk, back to stages
    assert StageId.parse('warmup_round3') == StageId('warmup', 3)
    assert StageId.parse('warmup') == StageId('warmup', 1)
    assert StageId.parse('my_round') == StageId('my_round', 1)
