# Copyright (c) mmcasp contributors. All rights reserved.
import mmdet.registry as mmdet_registry
from mmengine.registry import DefaultScope, Registry

import mmcasp.registry as registry
from mmcasp.utils import register_all_modules

#: registries of mmcasp's own components, with no mmdet counterpart
OWN = ('LABELERS', 'STAGES')


def test_every_registry_has_mmcasp_scope_and_mmdet_parent():
    names = registry.__all__
    assert len(names) == 20 + len(OWN)
    for name in names:
        reg = getattr(registry, name)
        assert isinstance(reg, Registry)
        assert reg.scope == 'mmcasp', name
        if name in OWN:
            assert reg.parent is None and not hasattr(mmdet_registry, name)
        else:
            assert reg.parent is getattr(mmdet_registry, name), name


def test_the_labelers_are_registered():
    for name in ('detector', 'checkpoint', 'cam', 'none'):
        assert registry.LABELERS.get(name) is not None, name


def test_the_stages_are_registered():
    from mmcasp.pipeline import DEFAULT_ORDER
    for name in DEFAULT_ORDER:
        assert registry.STAGES.get(name) is not None, name


def test_default_scope_mmcasp_builds_mmdet_types_unprefixed():
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        fpn = registry.MODELS.build(
            dict(type='FPN', in_channels=[8, 16], out_channels=8, num_outs=2))
        assert type(fpn).__module__.startswith('mmdet.')
        head_cls = registry.MODELS.get('ClassAgnosticCondInstBboxHead')
        assert head_cls.__module__.startswith('mmcasp.')
        # mmengine types resolve too (through mmdet's parent).
        assert registry.HOOKS.get('CheckpointHook') is not None
        assert registry.METRICS.get('CocoMetric') is not None
        assert registry.METRICS.get('ClassAgnosticCocoMetric') is not None
        assert registry.DATASETS.get('ClassAgnosticCocoDataset') is not None
        assert registry.TRANSFORMS.get('ClassAgnostic') is not None
