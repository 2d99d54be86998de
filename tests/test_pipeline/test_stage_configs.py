# Copyright (c) mmcasp contributors. All rights reserved.
"""A stage's Runner config, built by pure functions (no training)."""
import os.path as osp

from mmengine.config import Config

from mmcasp.pipeline import build_stage_config
from mmcasp.pipeline.stage_configs import (eval_config, evaluators,
                                           validates_on_test_split, with_data,
                                           with_epochs, with_evaluation,
                                           with_overrides, with_resume_point,
                                           with_runtime, with_transfer_init)
from tests._helpers import REPO_ROOT

AGNOSTIC = osp.join(REPO_ROOT, 'configs', 'condinst',
                    'condinst-ca_r18w16_fpn_toy-12e_toy-objects.py')
SPECIFIC = osp.join(REPO_ROOT, 'configs', 'condinst',
                    'condinst_r18w16_fpn_toy-12e_toy.py')
PREDET = osp.join(REPO_ROOT, 'configs', 'predet',
                  'predet_r18w16_fpn_toy-6e_toy.py')
PANOPTIC = osp.join(REPO_ROOT, 'configs', 'panoptic_fpn',
                    'panoptic-fpn_r18w16_fpn_toy-12e_toy.py')
TRAIN = dict(ann='/d/train.json', img='/d/train')
VAL = dict(
    ann='/d/val.json',
    img='/d/val',
    panoptic=dict(ann='/d/pan_val.json', seg='/d/pan_val'))


def test_data_wiring_leaves_the_argument_untouched():
    cfg = Config.fromfile(AGNOSTIC)
    before = cfg.to_dict()
    out = with_data(cfg, TRAIN, VAL, class_specific=False)
    assert cfg.to_dict() == before
    ds = out.train_dataloader.dataset
    assert ds.ann_file == '/d/train.json' and ds.data_root == ''
    assert ds.data_prefix == dict(img='/d/train/')
    assert out.test_dataloader.dataset.ann_file == '/d/val.json'


def test_validates_on_test_split():
    cfg = with_evaluation(
        with_data(Config.fromfile(AGNOSTIC), TRAIN, VAL, False), VAL, False)
    # the stage's val and test score the same split the same way: the final
    # validation's metrics can stand for a test pass
    assert validates_on_test_split(cfg)
    other = with_overrides(cfg,
                           {'test_dataloader.dataset.ann_file': '/d/x.json'})
    assert not validates_on_test_split(other)
    other = with_overrides(cfg, {'test_evaluator': [dict(type='CocoMetric')]})
    assert not validates_on_test_split(other)
    # a loop of its own, or other loop options, may score differently
    other = with_overrides(cfg,
                           {'val_cfg': dict(type='TeacherStudentValLoop')})
    assert not validates_on_test_split(other)
    other = with_overrides(cfg, {'val_cfg.fp16': True})
    assert not validates_on_test_split(other)
    assert not validates_on_test_split(
        with_data(Config.fromfile(PREDET), TRAIN, VAL))


def test_self_supervised_config_loses_evaluation():
    out = with_data(Config.fromfile(PREDET), TRAIN, VAL)
    assert out.val_dataloader is None and out.test_evaluator is None
    assert 'val_interval' not in out.train_cfg
    assert with_epochs(out, 2).train_cfg.max_epochs == 2


def test_panoptic_target_reads_panoptic_labels():
    train = dict(TRAIN, panoptic=dict(ann='/d/pan.json', seg='/d/pan'))
    out = with_data(Config.fromfile(PANOPTIC), train, VAL)
    ds = out.train_dataloader.dataset
    assert ds.ann_file == '/d/pan.json'
    assert ds.data_prefix == dict(img='/d/train/', seg='/d/pan/')
    assert evaluators(VAL, True, out.model)[0]['type'] == 'CocoPanopticMetric'


def test_evaluators_follow_the_model():
    cfg = Config.fromfile(SPECIFIC)
    types = [e['type'] for e in evaluators(VAL, True, cfg.model)]
    assert types == ['CocoMetric', 'ClassAgnosticCocoMetric']
    agnostic = evaluators(VAL, False, cfg.model)
    assert [e['type'] for e in agnostic] == ['ClassAgnosticCocoMetric']
    assert agnostic[0]['metric'] == ['bbox', 'segm']


def test_epochs_and_runtime():
    cfg = with_epochs(Config.fromfile(AGNOSTIC), 6)
    assert cfg.train_cfg.max_epochs == 6 and cfg.train_cfg.val_interval == 6
    # every scheduler rescaled with the epochs (the toy 12-epoch schedule:
    # 50-iteration warm-up, decays at 9 and 11); the argument untouched
    warm, ms = cfg.param_scheduler
    assert warm['end'] == 50 and warm['by_epoch'] is False
    assert ms['end'] == 6 and ms['milestones'] == [4, 5]
    cosine = Config.fromfile(PREDET)
    cos = with_epochs(cosine, 1).param_scheduler[-1]
    assert cos['type'] == 'CosineAnnealingLR' and cos['end'] == 1
    assert cosine.param_scheduler[-1]['end'] == cosine.train_cfg.max_epochs
    cfg = with_runtime(cfg, '/w/labeler', 'run_labeler', seed=3)
    assert cfg.work_dir == '/w/labeler' and cfg.resume is True
    assert cfg.randomness == dict(seed=3)
    assert cfg.default_hooks.checkpoint.max_keep_ckpts == 2
    assert cfg.find_unused_parameters is True
    assert cfg.visualizer.name == 'run_labeler_visualizer'


def test_overrides_come_last():
    cfg = build_stage_config(
        Config.fromfile(AGNOSTIC),
        train=TRAIN,
        val=VAL,
        class_specific=False,
        epochs=2,
        work_dir='/w/x',
        name='x',
        seed=0,
        cfg_options={
            'find_unused_parameters': False,
            'train_cfg.max_epochs': 5
        })
    assert cfg.find_unused_parameters is False
    assert cfg.train_cfg.max_epochs == 5
    assert with_overrides(cfg, {}).to_dict() == cfg.to_dict()


def test_transfer_init_and_eval_config():
    cfg = Config.fromfile(SPECIFIC)
    out = with_transfer_init(cfg, '/w/warmup/epoch_1.pth', ['backbone'],
                             'copy')
    assert out.model.init_cfg == dict(
        type='mmcasp.CaSPTransfer',
        checkpoint='/w/warmup/epoch_1.pth',
        parts=['backbone'],
        classifier='copy')
    assert 'init_cfg' not in with_transfer_init(out, None).model
    ev = eval_config(out, TRAIN, '/w/f.pth', '/w/eval', 'e')
    assert ev.load_from == '/w/f.pth' and ev.resume is False
    assert 'init_cfg' not in ev.model
    assert ev.test_dataloader.dataset.ann_file == '/d/train.json'


def test_with_values_replaces_whatever_is_there():
    from mmcasp.pipeline.stage_configs import with_values
    init = dict(type='Pretrained', checkpoint='c.pth', prefix='backbone.')
    for backbone in (dict(type='ResNet'), dict(type='ResNet', init_cfg=None),
                     dict(type='ResNet', init_cfg=dict(type='Kaiming'))):
        cfg = with_values(
            Config(dict(model=dict(backbone=backbone))),
            {'model.backbone.init_cfg': init})
        assert cfg.model.backbone.init_cfg.to_dict() == init
        assert cfg.model.backbone.type == 'ResNet'


def test_resume_point_is_explicit(tmp_path):
    """A fresh stage starts without mmengine's "Auto resumed from the
    latest checkpoint None."; a started one resumes from its own latest
    checkpoint, not from a load_from the config may carry."""
    cfg = with_runtime(
        Config.fromfile(AGNOSTIC), str(tmp_path), 'stage', seed=0)
    cfg.load_from = '/weights/imagenet.pth'
    fresh = with_resume_point(cfg)
    assert fresh.resume is False and fresh.load_from == '/weights/imagenet.pth'
    assert cfg.resume is True  # the argument is left as it was
    (tmp_path / 'epoch_1.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    started = with_resume_point(cfg)
    assert started.resume is True
    assert started.load_from == str(tmp_path / 'epoch_1.pth')
    cfg.resume = False  # not a resuming stage (e.g. evaluation): untouched
    assert with_resume_point(cfg) is cfg
