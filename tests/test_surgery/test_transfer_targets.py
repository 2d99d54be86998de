# Copyright (c) mmcasp contributors. All rights reserved.
"""Transfer a (randomly initialised) tiny class-agnostic CondInst into the
real mmdet models of configs/transfer/ (tiny backbones for CPU)."""
import copy
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from mmcasp.registry import MODELS
from mmcasp.surgery import (FpnLayout, TransferError, build_target_model,
                            detect_target_kind, transfer_into_model,
                            transfer_state_dict)
from mmcasp.utils import register_all_modules
from tests._helpers import REPO_ROOT, TINY_CONFIG

TARGETS = {
    'condinst': 'condinst-casp_r50_fpn_1x_coco.py',
    'fcos': 'fcos-casp_r50_fpn_1x_coco.py',
    'retinanet': 'retinanet-casp_r50_fpn_1x_coco.py',
    'mask_rcnn': 'mask-rcnn-casp_r50_fpn_1x_coco.py',
    'panoptic_fpn': 'panoptic-fpn-casp_r50_fpn_1x_coco.py',
}
SRC_NECK = Config.fromfile(TINY_CONFIG).model.neck


def tiny_target_cfg(name, checkpoint=None, **init):
    """A transfer config shrunk to the tiny source's widths."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'transfer', name))
    m = cfg.model
    m.backbone.update(
        depth=18, base_channels=16, init_cfg=None, frozen_stages=-1)
    m.neck.update(in_channels=[16, 32, 64, 128], out_channels=64)
    if 'bbox_head' in m:
        m.bbox_head.update(in_channels=64, feat_channels=64, stacked_convs=2)
    if m.type == 'CondInst':
        m.mask_head.max_masks_to_train = 64
        m.mask_head.mask_feature_head.update(
            in_channels=64, feat_channels=32, num_stacked_convs=2)
    if 'rpn_head' in m:
        m.rpn_head.update(in_channels=64, feat_channels=64)
        m.roi_head.bbox_roi_extractor.out_channels = 64
        m.roi_head.bbox_head.in_channels = 64
        m.roi_head.mask_roi_extractor.out_channels = 64
        m.roi_head.mask_head.in_channels = 64
    if 'semantic_head' in m:
        m.semantic_head.update(in_channels=64, inner_channels=32)
    if checkpoint is None:
        m.pop('init_cfg')
    else:
        m.init_cfg.checkpoint = checkpoint
        m.init_cfg.update(init)
    return cfg


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    """A tiny class-agnostic CondInst, randomly initialised, saved as a
    Runner-style checkpoint (meta.cfg holds its config)."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TINY_CONFIG)
    torch.manual_seed(1)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    # make every tensor distinguishable from a fresh init
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    path = str(tmp_path_factory.mktemp('src') / 'src.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(cfg=cfg.pretty_text, epoch=1)), path)
    return path, model.state_dict()


@pytest.mark.parametrize('kind', list(TARGETS))
def test_transfer_into_each_target_and_train_a_step(kind, source):
    path, src = source
    model, cfg = build_target_model(tiny_target_cfg(TARGETS[kind]))
    assert detect_target_kind(model) == kind
    before = copy.deepcopy(model.state_dict())
    parts = cfg.model.get('init_cfg', {}).get('parts') or \
        Config.fromfile(osp.join(REPO_ROOT, 'configs', 'transfer',
                                 TARGETS[kind])).model.init_cfg.parts
    state, report = transfer_into_model(model, path, parts=parts)

    loaded = {k for r in report['parts'].values() for k in r['loaded']}
    assert loaded
    for key, value in state.items():
        if key in loaded:
            continue
        assert torch.equal(value, before[key]), f'{key} changed'
    # every loaded key holds exactly the source tensor it came from
    for key in loaded:
        if key.startswith('neck.'):
            continue  # checked by level below
        assert torch.equal(state[key], src[key]), key
    # backbone: everything
    assert report['parts']['backbone']['kept_fresh'] == []
    assert not report['parts']['backbone']['unmapped_source']

    # FPN levels: C3..C5 laterals by pyramid level
    offset = 1 if kind in ('mask_rcnn', 'panoptic_fpn') else 0
    for i in range(3):
        for name in ('lateral_convs', 'fpn_convs'):
            k_src = f'neck.{name}.{i}.conv.weight'
            k_dst = f'neck.{name}.{i + offset}.conv.weight'
            assert torch.equal(state[k_dst], src[k_src]), (k_src, k_dst)
    if offset:
        # the C2 lateral and P2 output have no source: kept fresh
        fresh = report['parts']['neck']['kept_fresh']
        assert 'neck.lateral_convs.0.conv.weight' in fresh
        assert torch.equal(state['neck.lateral_convs.0.conv.weight'],
                           before['neck.lateral_convs.0.conv.weight'])
        assert 'neck.fpn_convs.3.conv.weight' in \
            report['parts']['neck']['unmapped_source']
    if kind == 'retinanet':
        # on_input P6 reads C5: not the source's on_output P6
        assert 'neck.fpn_convs.3.conv.weight' in \
            report['parts']['neck']['unmapped_source']
        assert torch.equal(state['bbox_head.cls_convs.1.conv.weight'],
                           src['bbox_head.cls_convs.1.conv.weight'])
        assert 'bbox_head.cls_convs.1.gn.weight' in \
            report['parts']['head']['unmapped_source']
        assert 'bbox_head.retina_reg.weight' in \
            report['parts']['head']['kept_fresh']
    if kind in ('condinst', 'fcos'):
        assert not report['parts']['neck']['unmapped_source']
        assert torch.equal(state['bbox_head.conv_reg.weight'],
                           src['bbox_head.conv_reg.weight'])
    # the classifier stays as initialised (random)
    assert report['parts']['classifier']['loaded'] == []
    json.dumps(report)  # serialisable

    # loads strictly and trains a step
    model.load_state_dict(state, strict=True)
    model.train()
    torch.manual_seed(0)
    np.random.seed(0)
    packed = demo_mm_inputs(
        2, [(3, 64, 64), (3, 64, 64)],
        num_items=[2, 1],
        num_classes=3,
        with_mask=True,
        with_semantic=kind == 'panoptic_fpn')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        data = model.data_preprocessor(packed, True)
        losses = model(**data, mode='loss')
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(x.sum()
                                                                for x in v)
                for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_replicate_classifier_fcos_and_retinanet(source):
    path, src = source
    for kind in ('fcos', 'retinanet'):
        model, _ = build_target_model(tiny_target_cfg(TARGETS[kind]))
        state, report = transfer_into_model(
            model, path, parts=['backbone'], classifier='replicate')
        prefix = 'bbox_head.retina_cls.' if kind == 'retinanet' else \
            'bbox_head.conv_cls.'
        w, b = state[prefix + 'weight'], state[prefix + 'bias']
        n = 80 * (9 if kind == 'retinanet' else 1)
        assert w.shape[0] == n
        assert torch.equal(w, src['bbox_head.conv_cls.weight'].expand_as(w))
        assert torch.equal(b, src['bbox_head.conv_cls.bias'].expand(n))
        assert report['parts']['classifier']['requested']


def test_errors(source):
    path, src = source
    model, _ = build_target_model(tiny_target_cfg(TARGETS['mask_rcnn']))
    with pytest.raises(TransferError, match="cannot receive part 'head'"):
        transfer_into_model(model, path, parts=['backbone', 'head'])
    with pytest.raises(TransferError, match='no classifier'):
        transfer_into_model(model, path, parts=[], classifier='replicate')
    # a neck of another width: shape mismatch inside a requested part
    cfg = tiny_target_cfg(TARGETS['fcos'])
    cfg.model.neck.out_channels = 32
    cfg.model.bbox_head.in_channels = 32
    wide, _ = build_target_model(cfg)
    with pytest.raises(TransferError, match=r'neck: source neck\..* shape'):
        transfer_into_model(wide, path, parts=['neck'])
    # ...but fine when the neck is not requested
    transfer_into_model(wide, path, parts=['backbone'])
    with pytest.raises(TransferError, match='src_fpn'):
        transfer_state_dict(src, wide.state_dict(), 'fcos', parts=['neck'])
    with pytest.raises(TransferError, match='meta.cfg'):
        transfer_into_model(wide, {'state_dict': src}, parts=['neck'])
    # given explicitly, the source neck works for a plain state dict
    narrow, _ = build_target_model(tiny_target_cfg(TARGETS['fcos']))
    state, _ = transfer_into_model(
        narrow, {'state_dict': src}, parts=['neck'], src_neck=SRC_NECK)
    assert torch.equal(state['neck.fpn_convs.4.conv.weight'],
                       src['neck.fpn_convs.4.conv.weight'])
    assert FpnLayout.from_cfg(SRC_NECK).num_extra_convs == 2


def test_wrapper_prefixes(source):
    path, src = source
    model, _ = build_target_model(tiny_target_cfg(TARGETS['fcos']))
    teacher = {f'teacher.{k}': v for k, v in src.items()}
    teacher.update({
        f'student.{k}': torch.zeros_like(v)
        for k, v in src.items()
    })
    state, report = transfer_into_model(
        model, {'state_dict': teacher}, parts=['backbone'])
    assert report['source_prefix'] == 'teacher.'
    assert torch.equal(state['backbone.conv1.weight'],
                       src['backbone.conv1.weight'])


def test_registered_init_from_config(source):
    path, src = source
    cfg = tiny_target_cfg(TARGETS['retinanet'], checkpoint=path)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        model.init_weights()
    sd = model.state_dict()
    assert torch.equal(sd['backbone.conv1.weight'],
                       src['backbone.conv1.weight'])
    assert torch.equal(sd['neck.lateral_convs.0.conv.weight'],
                       src['neck.lateral_convs.0.conv.weight'])
    # untransferred parts still got their own init (RetinaNet's prior bias)
    prior = -float(np.log((1 - 0.01) / 0.01))
    assert torch.allclose(
        sd['bbox_head.retina_cls.bias'],
        torch.full_like(sd['bbox_head.retina_cls.bias'], prior))


def test_tool_round_trip_with_runner_checkpoint(toy_root, tmp_path):
    """Runner-saved source -> tools/model_converters/transfer.py ->
    load_checkpoint into the target, strictly."""
    from tests._helpers import subprocess_env, toy_cfg_options
    work = str(tmp_path / 'src')
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools',
                 'train.py'), TINY_CONFIG, '--work-dir', work, '--cfg-options',
        *toy_cfg_options(toy_root), 'train_cfg.val_interval=100'
    ],
                          capture_output=True,
                          text=True,
                          env=subprocess_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    src_ckpt = osp.join(work, 'epoch_1.pth')
    dst_cfg = tiny_target_cfg(TARGETS['mask_rcnn'])
    cfg_file = str(tmp_path / 'mask_rcnn_tiny.py')
    dst_cfg.dump(cfg_file)
    out = str(tmp_path / 'init.pth')
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'model_converters', 'transfer.py'),
        src_ckpt, cfg_file, '--parts', 'backbone,neck', '--out', out
    ],
                          capture_output=True,
                          text=True,
                          env=subprocess_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'transfer into mask_rcnn' in proc.stdout
    report = json.load(open(out + '.transfer.json'))
    assert report['parts']['neck']['loaded']
    src = torch.load(src_ckpt, map_location='cpu')['state_dict']
    model, _ = build_target_model(dst_cfg)
    load_checkpoint(model, out, map_location='cpu', strict=True)
    sd = model.state_dict()
    assert torch.equal(sd['neck.lateral_convs.1.conv.weight'],
                       src['neck.lateral_convs.0.conv.weight'])
    assert torch.equal(sd['backbone.layer4.1.conv2.weight'],
                       src['backbone.layer4.1.conv2.weight'])
    # requesting a part the target lacks fails with a message, not a trace
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'model_converters', 'transfer.py'),
        src_ckpt, cfg_file, '--parts', 'backbone,head', '--out', out
    ],
                          capture_output=True,
                          text=True,
                          env=subprocess_env())
    assert proc.returncode != 0
    assert "cannot receive part 'head'" in proc.stderr
