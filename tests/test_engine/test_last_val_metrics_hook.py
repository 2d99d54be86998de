# Copyright (c) mmcasp contributors. All rights reserved.
from types import SimpleNamespace

from mmengine.registry import DefaultScope

from mmcasp.engine.hooks import LastValMetricsHook
from mmcasp.registry import HOOKS


def test_keeps_the_latest_validation():
    # the registry's scope named: other tests leave another default scope
    with DefaultScope.overwrite_default_scope('mmcasp'):
        hook = HOOKS.build(dict(type='LastValMetricsHook'))
    assert isinstance(hook, LastValMetricsHook)
    assert hook.epoch is None and hook.metrics is None
    hook.after_val_epoch(SimpleNamespace(epoch=2), {'coco/bbox_mAP': 0.1})
    hook.after_val_epoch(SimpleNamespace(epoch=4), {'coco/bbox_mAP': 0.3})
    assert hook.epoch == 4 and hook.metrics == {'coco/bbox_mAP': 0.3}
    # a validation without metrics (mmengine passes None)
    hook.after_val_epoch(SimpleNamespace(epoch=5))
    assert hook.epoch == 5 and hook.metrics == {}
