# Copyright (c) mmcasp contributors. All rights reserved.
"""One meaning of δ: the same predictions give the same kept labels
whichever head reports them (mmcasp's class-agnostic CondInst scores
sqrt(cls * ctr), mmdet's CondInst and FCOS report cls * ctr)."""
import copy
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcasp.pseudo_labels import DetectorPredictor, objectness_rule
from mmcasp.registry import MODELS
from mmcasp.utils import register_all_modules
from tests._helpers import REPO_ROOT, TINY_CONFIG

RETINANET = osp.join(REPO_ROOT, 'configs', 'transfer',
                     'retinanet-casp_r18w16_fpn_toy-12e_toy.py')


def _build(model_cfg, seed=0):
    register_all_modules(init_default_scope=False)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        model = MODELS.build(model_cfg)
        model.init_weights()
    return model.eval()


def _pair():
    """mmcasp's class-agnostic CondInst and mmdet's CondInst with one class
    and the same weights."""
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.model.test_cfg.score_thr = 0.0  # untrained: let low scores through
    ours = _build(cfg.model)
    stock_cfg = copy.deepcopy(cfg.model)
    stock_cfg.type = 'mmdet.CondInst'
    stock_cfg.bbox_head.type = 'mmdet.CondInstBboxHead'
    stock = _build(stock_cfg, seed=1)
    stock.load_state_dict(ours.state_dict())
    return ours, stock, cfg.test_dataloader.dataset.pipeline


def test_rules_per_head():
    ours, stock, _ = _pair()
    assert objectness_rule(ours)[0].startswith('objectness')
    name, to_obj = objectness_rule(stock)
    assert name.startswith('sqrt')
    assert torch.equal(
        to_obj(torch.tensor([0.04, 0.25, 1.0])), torch.tensor([0.2, 0.5, 1.0]))
    cfg = Config.fromfile(RETINANET)
    cfg.model.pop('init_cfg', None)
    assert objectness_rule(_build(cfg.model))[0] == 'classification score'


def test_same_predictions_same_kept_labels_for_either_head():
    ours, stock, pipeline = _pair()
    kept = []
    for model in (ours, stock):
        pred = DetectorPredictor(model, pipeline, delta=0.07)
        out = []
        for i, (h, w) in enumerate([(150, 200), (200, 150), (96, 96)]):
            img = (np.random.default_rng(i).random(
                (h, w, 3)) * 255).astype(np.uint8)
            entry = dict(id=i, path=f'{i}.png')
            item = dict(
                entry=entry,
                height=h,
                width=w,
                inputs=pred.prepare(entry, img))
            out.append(pred([item])[0][0])
        kept.append(out)
    for a, b in zip(*kept):
        assert [x['bbox'] for x in a] == [x['bbox'] for x in b]
        np.testing.assert_allclose([x['score'] for x in a],
                                   [x['score'] for x in b],
                                   rtol=1e-6)
    # the threshold keeps some and drops some: it is what is compared
    n = sum(len(a) for a in kept[0])
    assert 0 < n < 3 * 100
    scores = [x['score'] for a in kept[0] for x in a]
    assert min(scores) > 0.07
