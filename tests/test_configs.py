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
SPECIFIC = [
    c for c in CONFIGS
    if osp.basename(c).startswith('condinst_') and 'toy' in c
]
SPECIFIC_COCO = [
    c for c in CONFIGS
    if osp.basename(c).startswith('condinst_') and '_coco' in c
]
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
    'path', SPECIFIC_COCO, ids=[osp.basename(c)[:-3] for c in SPECIFIC_COCO])
def test_class_specific_coco_config_builds_model(path):
    cfg = Config.fromfile(path)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'CondInst'
    assert model.bbox_head.num_classes == 80
    assert cfg.val_evaluator.type == 'CocoMetric'
    assert cfg.model.get('init_cfg') is None  # ImageNet, no transfer


@pytest.mark.parametrize(
    'path', TRANSFER, ids=[osp.basename(c)[:-3] for c in TRANSFER])
def test_transfer_config_builds_model(path):
    from mmcasp.surgery import TARGET_RULES, detect_target_kind
    from mmcasp.utils import init_report
    cfg = Config.fromfile(path)
    init = cfg.model.init_cfg
    assert init.type == 'mmcasp.CaSPTransfer'
    backbone = init_report(dict(backbone=cfg.model.backbone), offline=False)
    if 'toy' in path:
        assert backbone.backbone_random  # toy models: no pretrained weights
    else:  # the baseline (transfer dropped) starts from ImageNet
        assert not backbone.backbone_random, backbone.backbone
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    kind = detect_target_kind(model)
    assert set(init.parts) <= set(TARGET_RULES[kind])
    if '3x' in path:
        assert cfg.train_cfg.max_epochs == 36


#: Paper-recipe configs (not toy, not CPU-sized COCO-mini) whose backbone
#: starts from scratch on purpose, with explicit initialisers: PreDet's
#: pretraining is the backbone's pretraining.
FROM_SCRATCH = {'predet_r50_fpn_540k_imagenet-labels.py'}


def _paper_recipe(path):
    data = osp.basename(path)[:-3].split('_')[-1]
    return not any(k in data for k in ('toy', 'coco-mini'))


PAPER = [c for c in CONFIGS if _paper_recipe(c) and '/casp/' not in c]


@pytest.mark.parametrize(
    'path', PAPER, ids=[osp.basename(c)[:-3] for c in PAPER])
def test_paper_recipes_start_from_pretrained_weights(path):
    """No paper recipe ships a random-init backbone (``init_cfg=None``):
    ImageNet by mmdet's convention (torchvision R-50, the Swin-T release,
    packaged EfficientNet-Lite0), a transfer, or a checkpoint. Offline (the
    switch this suite sets), nothing would be downloaded."""
    from mmcasp.utils import init_report
    cfg = Config.fromfile(path)
    online = init_report(cfg, offline=False)
    if osp.basename(path) in FROM_SCRATCH:
        assert online.backbone_random and 'from scratch' in online.backbone
    else:
        assert not online.backbone_random, online.backbone
        backbone = init_report(
            dict(backbone=cfg.model.backbone), offline=False)
        assert not backbone.backbone_random, (  # the baseline's start
            backbone.backbone)
    offline = init_report(cfg, offline=True)
    assert all(s.replaced for s in offline.would_download)


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


@pytest.mark.parametrize(
    'path', PIPELINES, ids=[osp.basename(c)[:-3] for c in PIPELINES])
def test_pipeline_configs_pass_the_settings_check(path):
    """Every pipeline config's ``casp`` dict is valid settings."""
    from mmcasp.pipeline.settings import parse
    parse(Config.fromfile(path).casp.to_dict())


@pytest.mark.parametrize('name,src', [
    ('condinst-ca_effl0_fpn_cpu-20e_coco-mini-objects.py',
     'condinst-ca_effl0_fpn_36e_coco-mini-objects.py'),
    ('condinst_effl0_fpn_cpu-20e_coco-mini.py',
     'condinst_effl0_fpn_36e_coco-mini.py'),
])
def test_cpu_base_is_the_benchmarks_cpu_profile(name, src, tmp_path):
    """The CPU base for your own data (docs/pipeline.md) trains the model,
    input and loader of the COCO-mini benchmark's ``cpu`` profile, whose
    stage times docs/benchmarks.md reports."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'coco_mini', osp.join(REPO_ROOT, 'benchmarks', 'coco_mini.py'))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ours = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'condinst', name))
    theirs = Config.fromfile(
        bench.scaled_config(
            osp.join(REPO_ROOT, 'benchmarks', 'configs', src),
            str(tmp_path / src), bench.PROFILES['cpu']))
    assert ours.model.to_dict() == theirs.model.to_dict()
    for loader in ('train_dataloader', 'val_dataloader'):
        for key in ('batch_size', 'num_workers'):
            assert ours[loader][key] == theirs[loader][key], (loader, key)
        assert ours[loader].dataset.pipeline == \
            theirs[loader].dataset.pipeline, loader
    assert ours.optim_wrapper.optimizer.lr == \
        theirs.optim_wrapper.optimizer.lr
    assert ours.param_scheduler[0] == theirs.param_scheduler[0]
