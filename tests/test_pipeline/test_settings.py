# Copyright (c) mmcasp contributors. All rights reserved.
"""The settings schema of the ``casp`` dict and the labeler registry (no
training)."""
import pytest

from mmcasp.pipeline import (BaseLabeler, CamLabeler, CheckpointLabeler,
                             DetectorLabeler, NoLabeler, SettingsError,
                             build_labeler, parse)
from mmcasp.pseudo_labels import LabelingSettings
from mmcasp.registry import LABELERS

SPLIT = dict(ann='a.json', img='imgs')


def _casp(**more):
    casp = dict(
        data=dict(labeled=SPLIT, unlabeled=SPLIT, val=SPLIT),
        labeler=dict(config='l.py'),
        warmup=dict(config='w.py'),
        finetune=dict(config='f.py'))
    casp.update(more)
    return casp


def test_defaults_are_filled_from_one_place():
    s = parse(_casp())
    assert s.pseudo.delta == LabelingSettings.delta == 0.2
    assert s.pseudo.max_per_image == LabelingSettings.max_per_image
    assert s.pseudo.class_specific is False
    assert s.seed == 0 and s.rounds == 1 and s.method is None
    assert s.finetune.parts == ['backbone', 'neck', 'head']
    assert s.finetune.classifier == 'random'
    assert s.warmup.epochs is None and s.warmup.cfg_options == {}
    # the baseline is the finetune unless given
    assert s.baseline == s.finetune
    assert s.data.val.panoptic is None


def test_unknown_keys_are_refused_with_the_closest_known_one():
    with pytest.raises(SettingsError) as e:
        parse(_casp(pseudo=dict(detla=0.3), seeed=1))
    msg = str(e.value)
    assert "pseudo.detla: unknown setting; did you mean 'delta'?" in msg
    assert "seeed: unknown setting; did you mean 'seed'?" in msg


def test_types_and_missing_settings_are_checked():
    bad = _casp(rounds='2', pseudo=dict(delta='0.2', flip=1))
    bad['finetune'] = dict(parts='backbone')
    del bad['data']['val']
    with pytest.raises(SettingsError) as e:
        parse(bad)
    msg = str(e.value)
    for line in ("rounds: must be int, got '2'",
                 "pseudo.delta: must be float, got '0.2'",
                 'pseudo.flip: must be bool, got 1',
                 'finetune.config: missing',
                 "finetune.parts: must be list, got 'backbone'",
                 'data.val: missing'):
        assert line in msg, line
    # an int is a valid float; tuples are lists
    s = parse(
        _casp(
            pseudo=dict(delta=1),
            finetune=dict(config='f.py', parts=('backbone', ))))
    assert s.pseudo.delta == 1 and s.finetune.parts == ['backbone']
    with pytest.raises(SettingsError, match='rounds: must be >= 1'):
        parse(_casp(rounds=0))


def test_labelers_are_registered_components():
    assert LABELERS.get('detector') is DetectorLabeler
    assert LABELERS.get('checkpoint') is CheckpointLabeler
    assert LABELERS.get('cam') is CamLabeler
    assert LABELERS.get('none') is NoLabeler
    assert isinstance(build_labeler(dict(config='l.py')), DetectorLabeler)
    cam = build_labeler(dict(type='cam', scales=[96], top_k=2))
    assert cam.cam == dict(scales=[96], top_k=2)
    assert not cam.makes_masks and cam.method == 'DAP'
    assert not NoLabeler().makes_labels


def test_labeler_settings_are_checked_against_its_signature():
    with pytest.raises(SettingsError, match="did you mean 'cam'"):
        build_labeler(dict(type='cma'))
    with pytest.raises(SettingsError, match="did you mean 'scales'"):
        build_labeler(dict(type='cam', scale=[96]))
    with pytest.raises(SettingsError, match='labeler.checkpoint: missing'):
        build_labeler(dict(type='checkpoint', config='x.py'))
    with pytest.raises(SettingsError, match="did you mean 'epochs'"):
        build_labeler(dict(config='l.py', epoch=3))


def test_a_labeler_registered_at_run_time_is_built():

    class Fixed(BaseLabeler):

        def __init__(self, score: float = 0.5) -> None:
            self.score = score

    LABELERS.register_module('test_fixed', module=Fixed, force=True)
    try:
        assert build_labeler(dict(type='test_fixed', score=0.9)).score == 0.9
        with pytest.raises(SettingsError, match="did you mean 'score'"):
            build_labeler(dict(type='test_fixed', scroe=0.9))
    finally:
        LABELERS._module_dict.pop('test_fixed')
