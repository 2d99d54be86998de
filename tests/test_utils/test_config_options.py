# Copyright (c) mmcasp contributors. All rights reserved.
"""``--cfg-options`` keys that nothing would read are refused before they
are merged, with the closest known key; everything a user may add is
accepted."""
import pytest
from mmengine.config import Config

from mmcasp.utils import (ConfigOptionError, closest, merge_options,
                          option_key_problems)
from tests._helpers import TINY_CONFIG


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(TINY_CONFIG)


@pytest.mark.parametrize(
    'key, where, suggestion',
    [
        # the typo: a TypeError after ~435 lines of dump before
        ('train_cfg.max_epoch', "train_cfg has no 'max_epoch' "
         '(EpochBasedTrainLoop takes no such argument)', 'max_epochs'),
        # never read by the Runner: silently ignored before
        ('train_cfgs.max_epochs', "no key 'train_cfgs'", 'train_cfg'),
        ('train_dataloader.batch_sizee', "train_dataloader has no "
         "'batch_sizee' (the Runner's DataLoader", 'batch_size'),
        ('model.backbone.depthh', "model.backbone has no 'depthh' (ResNet",
         'depth'),
        ('optim_wrapper.optimizer.lrr', "has no 'lrr' (SGD", 'lr'),
    ])
def test_unread_keys_are_named_with_the_closest_known_one(
        cfg, key, where, suggestion):
    problems = option_key_problems(cfg, {key: 1})
    assert len(problems) == 1
    assert problems[0].startswith(f'--cfg-options {key}: ')
    assert where in problems[0]
    assert problems[0].endswith(f"did you mean '{suggestion}'?")


@pytest.mark.parametrize(
    'key',
    [
        'train_cfg.max_epochs',  # exists
        'train_cfg.val_begin',  # a new argument the loop takes
        'param_scheduler.0.end',  # list index
        'val_cfg',  # replaced by None below
        'val_dataloader.batch_size',
        'model.init_cfg',
        'model.backbone.init_cfg.checkpoint',
        'model.test_cfg.score_thr',  # a plain dict: anything goes
        'model.bbox_head.anything',  # a head taking **kwargs
        'randomness.deterministic',
        'my_own_variable',  # far from every known key: a config variable
        'load_from',  # a Runner key the config may lack
    ])
def test_what_a_user_may_set_is_accepted(cfg, key):
    assert option_key_problems(cfg, {key: None}) == []


def test_a_path_through_none_or_a_number_is_left_to_mmengine():
    cfg = Config(dict(val_dataloader=None, train_cfg=dict(max_epochs=1)))
    assert option_key_problems(cfg, {'val_dataloader.batch_size': 1}) == []
    assert option_key_problems(cfg, {'train_cfg.max_epochs.x': 1}) == []


def test_merge_options_refuses_before_merging(cfg):
    cfg = cfg.copy()
    with pytest.raises(ConfigOptionError, match='max_epoch') as e:
        merge_options(cfg, {
            'train_cfg.max_epoch': 1,
            'train_dataloader.batch_sizee': 2
        })
    assert len(str(e.value).splitlines()) == 2  # every bad key, at once
    assert 'max_epoch' not in cfg.train_cfg
    merge_options(cfg, {'train_cfg.max_epochs': 3})
    assert cfg.train_cfg.max_epochs == 3
    merge_options(cfg, None)  # nothing given: nothing to do


def test_closest():
    assert closest('epoch', ['epochs', 'delta']) == "; did you mean 'epochs'?"
    assert closest('zzz', ['b', 'a']) == ' (known: a, b)'
