# Copyright (c) mmcasp contributors. All rights reserved.
import copy

import numpy as np
import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from mmcasp.registry import MODELS
from mmcasp.utils import register_all_modules
from tests._helpers import TINY_CONFIG


@pytest.fixture(autouse=True, scope='module')
def mmcasp_scope():
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        yield


@pytest.fixture(scope='module')
def model_cfg():
    return Config.fromfile(TINY_CONFIG).model


def _build(cfg):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model


def _inputs(num_items, num_classes=5, seed=0, agnostic=True):
    """Two 96x96 images with random boxes and masks; labels set to 0 when
    ``agnostic``."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    packed = demo_mm_inputs(
        batch_size=2,
        image_shapes=[(3, 96, 96), (3, 96, 96)],
        num_items=num_items,
        num_classes=num_classes,
        with_mask=True)
    if agnostic:
        for sample in packed['data_samples']:
            sample.gt_instances.labels = torch.zeros_like(
                sample.gt_instances.labels)
    return packed


def _loss(model, packed):
    data = model.data_preprocessor(packed, True)
    return model(**data, mode='loss')


def test_loss_nonempty_gt(model_cfg):
    model = _build(model_cfg)
    losses = _loss(model, _inputs([3, 2]))
    assert set(losses) == {
        'loss_cls', 'loss_bbox', 'loss_centerness', 'loss_mask'
    }
    for name, value in losses.items():
        assert torch.isfinite(value).all(), name
    assert losses['loss_bbox'] > 0 and losses['loss_mask'] > 0
    total = sum(losses.values())
    total.backward()
    grad = model.backbone.conv1.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_loss_empty_gt(model_cfg):
    model = _build(model_cfg)
    losses = _loss(model, _inputs([0, 0]))
    # no objects: only the classifier is pushed down; box/mask losses are 0
    assert losses['loss_cls'] > 0
    assert losses['loss_bbox'] == 0
    assert losses['loss_centerness'] == 0
    assert losses['loss_mask'] == 0


def test_any_class_label_counts_as_object(model_cfg):
    """Labels from a class-specific file train the same binary classifier
    (the parent head would treat label >= 1 as background)."""
    model = _build(model_cfg)
    multi = _inputs([3, 2], seed=1, agnostic=False)
    agnostic = _inputs([3, 2], seed=1)
    assert any(
        (s.gt_instances.labels > 0).any() for s in multi['data_samples'])
    a = _loss(model, multi)
    b = _loss(model, agnostic)
    for k in a:
        torch.testing.assert_close(a[k], b[k])


def test_num_classes_must_be_one(model_cfg):
    cfg = copy.deepcopy(model_cfg)
    cfg.bbox_head.num_classes = 3
    with pytest.raises(ValueError, match='one class'):
        MODELS.build(cfg)
    head_cfg = copy.deepcopy(model_cfg.bbox_head)
    head_cfg.num_classes = 3
    with pytest.raises(ValueError, match='class-agnostic'):
        MODELS.build(head_cfg)


def test_stock_condinst_head_config_is_switched(model_cfg):
    cfg = copy.deepcopy(model_cfg)
    cfg.bbox_head.type = 'CondInstBboxHead'
    model = MODELS.build(cfg)
    assert type(model.bbox_head).__name__ == 'ClassAgnosticCondInstBboxHead'


def test_objectness_is_geometric_mean(model_cfg):
    model = _build(model_cfg)
    results = InstanceData()
    results.bboxes = torch.tensor([[0., 0., 10., 10.], [20., 20., 40., 40.]])
    results.scores = torch.tensor([0.81, 0.25])
    results.score_factors = torch.tensor([0.25, 0.64])
    results.labels = torch.zeros(2, dtype=torch.long)
    cfg = ConfigDict(min_bbox_size=0)
    out = model.bbox_head._bbox_post_process(
        results, cfg, rescale=False, with_nms=False)
    torch.testing.assert_close(out.scores, torch.tensor([0.45, 0.4]))
    assert 'score_factors' not in out


def test_predict_gives_one_class_and_objectness_scores(model_cfg):
    model = _build(model_cfg).eval()
    packed = _inputs([2, 1])
    data = model.data_preprocessor(packed, False)
    with torch.no_grad():
        preds = model(**data, mode='predict')
    for sample in preds:
        inst = sample.pred_instances
        assert (inst.labels == 0).all()
        assert ((inst.scores >= 0) & (inst.scores <= 1)).all()
        assert inst.masks.shape[-2:] == (96, 96)
