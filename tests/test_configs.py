# Copyright (c) mmcasp contributors. All rights reserved.
"""Every shipped config parses and builds its model; toy configs also build
their datasets."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcasp.registry import DATASETS, MODELS
from mmcasp.utils import register_all_modules, retarget_data_root
from tests._helpers import REPO_ROOT

CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '[!_]*', '*.py')))
AGNOSTIC = [c for c in CONFIGS if osp.basename(c).startswith('condinst-ca_')]
SPECIFIC = [c for c in CONFIGS if osp.basename(c).startswith('condinst_')]
TRANSFER = [c for c in CONFIGS if '/transfer/' in c]


def test_config_names_are_unique_and_follow_the_scheme():
    names = [osp.basename(c) for c in CONFIGS]
    assert len(names) == len(set(names))
    for name in names:
        parts = name[:-3].split('_')
        assert len(parts) == 5, f'{name}: algo_backbone_neck_schedule_data'


@pytest.mark.parametrize(
    'path', AGNOSTIC, ids=[osp.basename(c)[:-3] for c in AGNOSTIC])
def test_class_agnostic_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmcasp'
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        model = MODELS.build(cfg.model)
    assert model.bbox_head.num_classes == 1
    assert cfg.val_evaluator.type == 'ClassAgnosticCocoMetric'
    if 'entities' in path:
        assert cfg.train_dataloader.dataset.metainfo.classes == ('entity', )
        assert cfg.val_evaluator.class_name == 'entity'
        assert 'entities' in cfg.val_evaluator.ann_file
    if 'strong' in path:
        types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
        assert 'PhotoMetricDistortion' in types and 'RandomCrop' in types
        assert 'ClassAgnostic' in types


@pytest.mark.parametrize(
    'path', SPECIFIC, ids=[osp.basename(c)[:-3] for c in SPECIFIC])
def test_class_specific_toy_config_builds_model(path):
    cfg = Config.fromfile(path)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'CondInst'
    assert model.bbox_head.num_classes == len(cfg.metainfo.classes) == 6
    assert cfg.val_evaluator.type == 'CocoMetric'


@pytest.mark.parametrize(
    'path', TRANSFER, ids=[osp.basename(c)[:-3] for c in TRANSFER])
def test_transfer_config_builds_model(path):
    from mmcasp.surgery import TARGET_RULES, detect_target_kind
    cfg = Config.fromfile(path)
    init = cfg.model.init_cfg
    assert init.type == 'mmcasp.CaSPTransfer'
    assert cfg.model.backbone.init_cfg is None  # nothing downloads
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    kind = detect_target_kind(model)
    assert set(init.parts) <= set(TARGET_RULES[kind])
    if '3x' in path:
        assert cfg.train_cfg.max_epochs == 36


@pytest.mark.parametrize('name', [
    'condinst-ca_r18w16_fpn_toy-12e_toy-objects.py',
    'condinst-ca_r18w16_fpn_toy-12e_toy-entities.py'
])
def test_toy_configs_build_datasets_and_run_a_step(name, toy_root):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'condinst', name))
    retarget_data_root(cfg, toy_root)
    assert cfg.val_evaluator.ann_file.startswith(toy_root)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        ds = DATASETS.build(cfg.train_dataloader.dataset)
        model = MODELS.build(cfg.model)
        batch = [ds[i] for i in range(2)]
        data = model.data_preprocessor(
            dict(
                inputs=[b['inputs'] for b in batch],
                data_samples=[b['data_samples'] for b in batch]), True)
        losses = model(**data, mode='loss')
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert len(ds.metainfo['classes']) == 1


OTHER_MODELS = [
    c for c in CONFIGS
    if any(f'/{d}/' in c for d in ('predet', 'fcos', 'panoptic_fpn'))
]


@pytest.mark.parametrize(
    'path', OTHER_MODELS, ids=[osp.basename(c)[:-3] for c in OTHER_MODELS])
def test_predet_fcos_panoptic_configs_build_models(path):
    cfg = Config.fromfile(path)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    expected = {
        'predet': 'PreDet',
        'fcos': 'FCOS',
        'panoptic_fpn': 'PanopticFPN'
    }[osp.basename(osp.dirname(path))]
    assert type(model).__name__ == expected


PIPELINES = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'casp', '*.py')))


@pytest.mark.parametrize(
    'path', PIPELINES, ids=[osp.basename(c)[:-3] for c in PIPELINES])
def test_pipeline_configs_name_shipped_model_configs(path):
    from mmcasp.pipeline import resolve_config
    cfg = Config.fromfile(path)
    casp = cfg.casp
    assert set(casp.data) == {'labeled', 'unlabeled', 'val'}
    stages = ['warmup', 'finetune']
    if casp.labeler.get('type', 'detector') == 'detector':
        stages.append('labeler')
    for stage in stages:
        assert osp.isfile(resolve_config(casp[stage].config)), stage
