# Copyright (c) mmcasp contributors. All rights reserved.
"""DAP's "all but the last layers" between two-stage detectors: tiny mmdet
Faster/Mask R-CNN models (ResNet-18 with 16 base channels, CPU, no
pretrained weights) of different class counts."""
import json

import numpy as np
import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcasp.registry import MODELS
from mmcasp.surgery import (PARTS, TARGET_RULES, TransferError,
                            build_target_model, detect_target_kind,
                            format_report, source_part, transfer_into_model)
from mmcasp.surgery.rules import ROI_CLASS_LAYERS
from mmcasp.utils import register_all_modules
from tests._helpers import TINY_CONFIG
from tests.test_surgery.test_transfer_targets import TARGETS, tiny_target_cfg

DAP_PARTS = ['backbone', 'neck', 'rpn_head', 'roi_head']
LAST = ('roi_head.bbox_head.fc_cls.', 'roi_head.bbox_head.fc_reg.')


def tiny_faster_rcnn(num_classes):
    """mmdet's Faster R-CNN shrunk to the widths of ``tiny_target_cfg``."""
    cfg = Config.fromstring(
        "_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'\n",
        '.py')
    m = cfg.model
    m.backbone.update(
        depth=18, base_channels=16, init_cfg=None, frozen_stages=-1)
    m.neck.update(in_channels=[16, 32, 64, 128], out_channels=64)
    m.rpn_head.update(in_channels=64, feat_channels=64)
    m.roi_head.bbox_roi_extractor.out_channels = 64
    m.roi_head.bbox_head.update(in_channels=64, num_classes=num_classes)
    return cfg


def build(cfg, seed):
    torch.manual_seed(seed)
    model, _ = build_target_model(cfg)
    return model


def pretrained(model):
    """A checkpoint dict of ``model`` with every tensor moved off its init
    (so a loaded key is told apart from a fresh one) and its config."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    return dict(state_dict=model.state_dict())


@pytest.fixture(scope='module')
def faster_source():
    cfg = tiny_faster_rcnn(num_classes=3)
    model = build(cfg, seed=0)
    torch.manual_seed(10)
    return pretrained(model), cfg.model.neck


def test_source_parts_of_two_stage_keys():
    expect = {
        'rpn_head.rpn_conv.weight': 'rpn_head',
        'rpn_head.rpn_cls.bias': 'rpn_head',
        'rpn_head.rpn_reg.weight': 'rpn_head',
        'roi_head.bbox_head.shared_fcs.0.weight': 'roi_head',
        'roi_head.bbox_head.shared_convs.1.conv.weight': 'roi_head',
        'roi_head.bbox_head.cls_fcs.0.bias': 'roi_head',
        'roi_head.bbox_head.reg_convs.0.conv.weight': 'roi_head',
        'roi_head.bbox_head.fc_cls.weight': None,
        'roi_head.bbox_head.fc_reg.bias': None,
        # cascade stages
        'roi_head.bbox_head.2.shared_fcs.1.weight': 'roi_head',
        'roi_head.bbox_head.2.fc_cls.weight': None,
        'roi_head.bbox_head.0.fc_reg.weight': None,
        'roi_head.mask_head.convs.3.conv.weight': 'roi_mask_head',
        'roi_head.mask_head.upsample.weight': 'roi_mask_head',
        'roi_head.mask_head.1.convs.0.conv.bias': 'roi_mask_head',
        'roi_head.mask_head.conv_logits.weight': None,
        'roi_head.mask_head.1.conv_logits.bias': None,
        # CondInst keys keep their parts
        'mask_head.mask_feature_head.convs_all_levels.0.conv0.conv.weight':
        'mask_head',
        'bbox_head.controller.weight': 'head',
        'bbox_head.conv_cls.weight': 'classifier',
    }
    for key, part in expect.items():
        assert source_part(key) == part, key
    for key in ('roi_head.bbox_head.fc_cls.weight',
                'roi_head.bbox_head.1.fc_reg.bias',
                'roi_head.mask_head.conv_logits.weight'):
        assert ROI_CLASS_LAYERS.match(key), key
    assert not ROI_CLASS_LAYERS.match('roi_head.bbox_head.shared_fcs.0.bias')
    for kind in ('two_stage', 'mask_rcnn', 'panoptic_fpn'):
        assert set(TARGET_RULES[kind]) == {
            'backbone', 'neck', 'rpn_head', 'roi_head', 'roi_mask_head'
        }
    assert set(PARTS) >= {'rpn_head', 'roi_head', 'roi_mask_head'}


def test_faster_rcnn_all_but_the_last_layers(faster_source):
    src, src_neck = faster_source
    model = build(tiny_faster_rcnn(num_classes=5), seed=1)
    assert detect_target_kind(model) == 'two_stage'
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state, report = transfer_into_model(
        model, src, parts=DAP_PARTS, src_neck=src_neck)

    src_sd = src['state_dict']
    params = dict(model.named_parameters())
    last = [k for k in before if k.startswith(LAST)]
    assert len(last) == 4
    for key, value in state.items():
        if key in last:
            # class-dependent: the target's own init (5 + 1 classes)
            assert torch.equal(value, before[key]), key
            assert value.shape != src_sd[key].shape, key
            continue
        assert torch.equal(value, src_sd[key]), key
        if key in params:  # not a mere copy of an equal fresh init
            assert not torch.equal(value, before[key]), key
    parts = report['parts']
    assert sorted(parts['classifier']['kept_fresh']) == sorted(last)
    assert parts['classifier']['loaded'] == []
    for part in DAP_PARTS:
        assert parts[part]['requested'] and parts[part]['loaded'], part
        assert parts[part]['kept_fresh'] == [], part
        assert parts[part]['unmapped_source'] == [], part
    assert len(parts['rpn_head']['loaded']) == 6
    assert sorted(report['missing']) == sorted(last)
    assert sorted(report['unexpected']) == sorted(last)
    assert report['other_kept_fresh'] == []
    assert report['absent_from_source'] == []
    text = format_report(report)
    assert 'transfer into two_stage' in text and 'absent' not in text
    json.dumps(report)
    model.load_state_dict(state, strict=True)


def test_faster_rcnn_into_mask_rcnn_keeps_the_mask_head_fresh(faster_source):
    src, src_neck = faster_source
    torch.manual_seed(2)
    model, cfg = build_target_model(tiny_target_cfg(TARGETS['mask_rcnn']))
    assert detect_target_kind(model) == 'mask_rcnn'
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state, report = transfer_into_model(
        model, src, parts=DAP_PARTS + ['roi_mask_head'], src_neck=src_neck)

    src_sd = src['state_dict']
    parts = report['parts']
    mask = [k for k in before if k.startswith('roi_head.mask_head.')]
    logits = [k for k in mask if '.conv_logits.' in k]
    assert sorted(parts['roi_mask_head']['kept_fresh']) == sorted(
        set(mask) - set(logits))
    assert parts['roi_mask_head']['loaded'] == []
    assert sorted(parts['classifier']['kept_fresh']) == sorted(
        [k for k in before if k.startswith(LAST)] + logits)
    # the source is box-only: visible, not an error
    assert report['absent_from_source'] == ['roi_mask_head']
    assert 'absent from the source (nothing loaded): roi_mask_head' in \
        format_report(report)
    loaded = {k for r in parts.values() for k in r['loaded']}
    assert loaded == set(before) - set(mask) - {
        k
        for k in before if k.startswith(LAST)
    }
    for key, value in state.items():
        expected = src_sd[key] if key in loaded else before[key]
        assert torch.equal(value, expected), key

    # ...and it trains a step
    model.load_state_dict(state, strict=True)
    model.train()
    torch.manual_seed(0)
    np.random.seed(0)
    packed = demo_mm_inputs(
        2, [(3, 64, 64), (3, 64, 64)],
        num_items=[2, 1],
        num_classes=3,
        with_mask=True)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        data = model.data_preprocessor(packed, True)
        losses = model(**data, mode='loss')
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(x.sum()
                                                                for x in v)
                for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)


def test_mask_rcnn_into_mask_rcnn_and_faster_rcnn():
    cfg = tiny_target_cfg(TARGETS['mask_rcnn'])
    cfg.model.roi_head.bbox_head.num_classes = 3
    cfg.model.roi_head.mask_head.num_classes = 3
    torch.manual_seed(3)
    src_model, _ = build_target_model(cfg)
    torch.manual_seed(13)
    src = pretrained(src_model)
    src_sd = src['state_dict']
    parts = DAP_PARTS + ['roi_mask_head']

    # Mask R-CNN (80 classes): the mask convs go too, not conv_logits
    torch.manual_seed(4)
    model, _ = build_target_model(tiny_target_cfg(TARGETS['mask_rcnn']))
    # cloned: the transfer loads into these very tensors
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state, report = transfer_into_model(
        model, src, parts=parts, src_neck=cfg.model.neck)
    loaded = report['parts']['roi_mask_head']['loaded']
    assert 'roi_head.mask_head.upsample.weight' in loaded
    assert report['parts']['roi_mask_head']['kept_fresh'] == []
    for key in loaded:
        assert torch.equal(state[key], src_sd[key]), key
    for key in ('roi_head.mask_head.conv_logits.weight',
                'roi_head.bbox_head.fc_cls.weight'):
        assert torch.equal(state[key], before[key])
        assert key in report['parts']['classifier']['kept_fresh']
    assert report['absent_from_source'] == []

    # Faster R-CNN: the source's mask head has no counterpart: unmapped
    model = build(tiny_faster_rcnn(num_classes=5), seed=5)
    state, report = transfer_into_model(
        model, src, parts=parts, src_neck=cfg.model.neck)
    unmapped = report['parts']['roi_mask_head']['unmapped_source']
    assert sorted(unmapped) == sorted(
        k for k in src_sd
        if k.startswith('roi_head.mask_head.') and '.conv_logits.' not in k)
    assert report['parts']['roi_mask_head']['loaded'] == []
    assert report['parts']['roi_head']['kept_fresh'] == []
    assert 'roi_head.mask_head.conv_logits.weight' in report['unexpected']


def test_into_panoptic_fpn(faster_source):
    src, src_neck = faster_source
    torch.manual_seed(6)
    model, _ = build_target_model(tiny_target_cfg(TARGETS['panoptic_fpn']))
    assert detect_target_kind(model) == 'panoptic_fpn'
    state, report = transfer_into_model(
        model, src, parts=DAP_PARTS, src_neck=src_neck)
    parts = report['parts']
    assert len(parts['rpn_head']['loaded']) == 6
    assert parts['roi_head']['kept_fresh'] == []
    assert torch.equal(
        state['roi_head.bbox_head.shared_fcs.1.weight'],
        src['state_dict']['roi_head.bbox_head.shared_fcs.1.'
                          'weight'])
    # the semantic head has no part
    assert any(
        k.startswith('semantic_head.') for k in report['other_kept_fresh'])


def test_condinst_source_into_faster_rcnn():
    """A one-stage source has no RPN or RoI head: requesting them loads
    nothing, like ``mask_head`` from an FCOS source, and the report says
    so; ``head`` cannot go into a two-stage target at all."""
    register_all_modules(init_default_scope=False)
    torch.manual_seed(7)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        condinst = MODELS.build(Config.fromfile(TINY_CONFIG).model)
        condinst.init_weights()
    src = dict(state_dict=condinst.state_dict())
    model = build(tiny_faster_rcnn(num_classes=5), seed=8)
    # cloned: the transfer loads into these very tensors
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state, report = transfer_into_model(
        model, src, parts=['backbone', 'rpn_head', 'roi_head'])
    assert report['absent_from_source'] == ['rpn_head', 'roi_head']
    assert 'absent from the source (nothing loaded): rpn_head, roi_head' \
        in format_report(report)
    parts = report['parts']
    assert parts['backbone']['kept_fresh'] == []
    for part in ('rpn_head', 'roi_head'):
        assert parts[part]['requested'] and parts[part]['loaded'] == []
        assert parts[part]['unmapped_source'] == []
        assert parts[part]['kept_fresh'], part
        for key in parts[part]['kept_fresh']:
            assert torch.equal(state[key], before[key]), key
    assert len(parts['rpn_head']['kept_fresh']) == 6
    with pytest.raises(TransferError, match="cannot receive part 'head'"):
        transfer_into_model(model, src, parts=['backbone', 'head'])
