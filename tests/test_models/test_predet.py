# Copyright (c) mmcasp contributors. All rights reserved.
"""PreDet: query-conditioned convolution, InfoNCE, view geometry, losses,
gradients, a few optimisation steps, transfer of what it pretrains."""
import math
import os.path as osp
from contextlib import contextmanager

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmcasp.datasets import (boxes_from_view, boxes_to_view,
                             edge_density_proposals, visible_fraction)
from mmcasp.datasets.transforms import EdgeQueries, PackTwoViewInputs, TwoViews
from mmcasp.models import info_nce, query_conditioned_conv
from mmcasp.models.losses import khot_softmax_cross_entropy
from mmcasp.registry import DATASETS, MODELS
from mmcasp.utils import register_all_modules
from tests._helpers import REPO_ROOT

PREDET_CFG = osp.join(REPO_ROOT, 'configs', 'predet',
                      'predet_r18w16_fpn_toy-6e_toy.py')


def test_group_conv_scores_equal_explicit_dot_products():
    torch.manual_seed(0)
    a, d, q, k, h, w = 3, 5, 4, 4, 6, 7
    feat = torch.randn(a * d, h, w)
    weights = torch.randn(q, a, k, d)
    out = query_conditioned_conv(feat, weights)
    assert out.shape == (h * w * a, q, k)
    explicit = torch.empty(h, w, a, q, k)
    for y in range(h):
        for x in range(w):
            for ai in range(a):
                f = feat[ai * d:(ai + 1) * d, y, x]
                for qi in range(q):
                    for ki in range(k):
                        explicit[y, x, ai, qi, ki] = f @ weights[qi, ai, ki]
    torch.testing.assert_close(out, explicit.reshape(-1, q, k))
    assert query_conditioned_conv(feat, weights[:0]).shape == (h * w * a, 0, k)


def test_info_nce_equals_hand_computed_value():
    query = torch.tensor([[1., 0.], [0., 2.]])
    positive = torch.tensor([[2., 0.], [1., 1.]])
    negatives = torch.tensor([[0., 1.], [-1., 0.], [3., 3.]])
    tau = 0.5
    loss = info_nce(query, positive, negatives, tau=tau)
    r = 1 / math.sqrt(2)
    # query 0 = (1, 0): cos with positive 1, negatives 0, -1, r
    l0 = -math.log(
        math.exp(1 / tau) / (math.exp(1 / tau) + math.exp(0) +
                             math.exp(-1 / tau) + math.exp(r / tau)))
    # query 1 = (0, 1): positive r, negatives 1, 0, r
    l1 = -math.log(
        math.exp(r / tau) / (math.exp(r / tau) + math.exp(1 / tau) +
                             math.exp(0) + math.exp(r / tau)))
    assert loss.item() == pytest.approx((l0 + l1) / 2, rel=1e-5)
    # a mask restricts each query to its own negatives
    mask = torch.tensor([[True, False, False], [False, True, True]])
    masked = info_nce(query, positive, negatives, mask, tau=tau)
    m0 = -math.log(math.exp(1 / tau) / (math.exp(1 / tau) + math.exp(0)))
    m1 = -math.log(
        math.exp(r / tau) /
        (math.exp(r / tau) + math.exp(0) + math.exp(r / tau)))
    assert masked.item() == pytest.approx((m0 + m1) / 2, rel=1e-5)


def test_box_transforms_between_views_are_exact():
    rng = np.random.default_rng(0)
    # two boxes, and 50 random ones, some partly or fully outside the crop
    corners = rng.uniform(-20., 140., (50, 2, 2))
    boxes = np.concatenate([
        np.array([[10., 20., 50., 60.], [0., 0., 100., 80.]]),
        np.concatenate([corners.min(1), corners.max(1)], 1)
    ])
    for flip in (False, True):
        crop = np.array([5.5, 12.25, 90., 77.])
        view = boxes_to_view(boxes, crop, (64, 96), flip)
        np.testing.assert_allclose(
            boxes_from_view(view, crop, (64, 96), flip), boxes, atol=1e-9)
    # the rendered view agrees with the box mapping: a white rectangle's
    # pixels land exactly inside its mapped box
    img = np.zeros((120, 160, 3), np.uint8)
    img[30:70, 40:100] = 255
    tv = TwoViews(
        out_size=(96, 96), jitter_prob=0., gray_prob=0., blur_prob=0., seed=1)
    for flip in (False, True):
        crop = np.array([20., 10., 140., 110.])
        view = tv._render(img, crop, flip)
        (x0, y0, x1, y1), = boxes_to_view(
            np.array([[40., 30., 100., 70.]]), crop, (96, 96), flip)
        ys, xs = np.nonzero(view[..., 0] > 127)
        assert abs(xs.min() - x0) <= 0.5 and abs(xs.max() + 1 - x1) <= 0.5
        assert abs(ys.min() - y0) <= 0.5 and abs(ys.max() + 1 - y1) <= 0.5
    # visible fraction of boxes half or fully outside a view
    vis = visible_fraction(
        np.array([[-10., 0., 10., 10.], [200., 0., 210., 10.]]), (64, 64))
    np.testing.assert_allclose(vis, [0.5, 0.])


def test_two_views_keep_only_queries_visible_in_both_views():
    img = (np.random.default_rng(0).random(
        (100, 120, 3)) * 255).astype(np.uint8)
    queries = np.array(
        [[0., 0., 20., 20.], [40., 30., 80., 70.], [100., 80., 120., 100.]],
        np.float32)
    tv = TwoViews(out_size=(64, 64), scale=(0.3, 0.5), seed=3)
    for _ in range(5):
        out = tv.transform(dict(img=img, query_boxes=queries))
        assert out['views'].shape == (2, 64, 64, 3)
        keep = out['query_index']
        vb = out['view_query_boxes']
        assert vb.shape == (2, len(keep), 4)
        for v in range(2):
            full = boxes_to_view(queries[keep], out['view_crops'][v], (64, 64),
                                 bool(out['view_flips'][v]))
            assert (visible_fraction(full, (64, 64)) >= 0.5).all()
            assert (vb[v] >= 0).all() and (vb[v] <= 64).all()
        dropped = np.setdiff1d(np.arange(3), keep)
        for j in dropped:
            fr = [
                visible_fraction(
                    boxes_to_view(queries[j:j + 1],
                                  out['view_crops'][v], (64, 64),
                                  bool(out['view_flips'][v])), (64, 64))[0]
                for v in range(2)
            ]
            assert min(fr) < 0.5


def test_edge_density_proposals_are_deterministic_and_inside():
    img = np.zeros((80, 100, 3), np.uint8)
    img[20:50, 30:70] = 200
    a = edge_density_proposals(img, 16, rng=np.random.default_rng(0))
    b = edge_density_proposals(img, 16, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (16, 4)
    assert (a[:, 0] >= 0).all() and (a[:, 2] <= 100).all()
    assert (a[:, 1] >= 0).all() and (a[:, 3] <= 80).all()
    assert (a[:, 2] > a[:, 0]).all() and (a[:, 3] > a[:, 1]).all()

    # the best box hugs the object more than a random candidate does
    def iou(box):
        x0, y0 = max(box[0], 30), max(box[1], 20)
        x1, y1 = min(box[2], 70), min(box[3], 50)
        inter = max(x1 - x0, 0) * max(y1 - y0, 0)
        area = (box[2] - box[0]) * (box[3] - box[1])
        return inter / (area + 1200 - inter)

    assert iou(a[0]) > np.median([iou(x) for x in a])


def _model_and_batch(num_images=2, losses=None, num_classes=0):
    register_all_modules()
    cfg = Config.fromfile(PREDET_CFG)
    cfg.model.num_classes = num_classes
    if losses:
        cfg.model.losses = losses
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    rng = np.random.default_rng(0)
    items = []
    edge = EdgeQueries(num=8, seed=0)
    tv = TwoViews(out_size=(64, 64), scale=(0.5, 1.), seed=0)
    pack = PackTwoViewInputs()
    for i in range(num_images):
        img = (rng.random((72, 88, 3)) * 60).astype(np.uint8)
        img[10 + i:50, 20:60] = 220
        res = dict(img=img, img_id=i)
        res = pack.transform(tv.transform(edge.transform(res)))
        if num_classes:
            res['data_samples'].image_labels = torch.tensor([1.] + [0.] *
                                                            (num_classes - 1))
        items.append(res)
    return model, pseudo_collate(items)


def test_losses_are_finite_scalars_and_reach_the_backbone():
    model, batch = _model_and_batch(num_classes=3)
    data = model.data_preprocessor(batch, True)
    assert data['inputs'].shape == (2, 2, 3, 64, 64)
    losses = model(**data, mode='loss')
    assert set(losses) == {
        'loss_crpn_cls', 'loss_crpn_reg', 'loss_infonce', 'loss_croi_reg',
        'loss_cls'
    }
    for k, v in losses.items():
        assert v.dim() == 0 and torch.isfinite(v), k
    sum(losses.values()).backward()
    for name in ('backbone.conv1.weight', 'neck.fpn_convs.0.conv.weight',
                 'rpn_head.query_cls.weight', 'roi_head.proj.weight',
                 'roi_head.reg_proj.weight',
                 'roi_head.reg_proj_proposal.weight', 'cls_fc.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    # FPN features of view 1 in tensor mode
    feats = model(data['inputs'], mode='tensor')
    assert feats[0].shape == (2, 64, 16, 16)


def test_each_loss_term_can_be_switched_off_and_no_queries_is_fine():
    model, batch = _model_and_batch(
        losses=dict(croi_reg=False, cls=False, crpn=False))
    data = model.data_preprocessor(batch, True)
    assert set(model(**data, mode='loss')) == {'loss_infonce'}
    with pytest.raises(ValueError, match='unknown loss terms'):
        _model_and_batch(losses=dict(rpn=False))
    model, batch = _model_and_batch()
    batch['data_samples'][1].query_boxes = torch.zeros(2, 0, 4)
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()


def test_crpn_targets_follow_the_iou_rules():
    model, _ = _model_and_batch()
    head = model.rpn_head
    anchors = torch.tensor([[0., 0., 10., 10.], [0., 0., 9., 10.],
                            [20., 20., 30., 30.], [50., 50., 60., 60.]])
    queries = torch.tensor([[0., 0., 10., 10.], [21., 21., 31., 35.]])
    pos, neg, best = head.targets(anchors, queries)
    assert sorted(pos.tolist()) == [0, 1, 2]  # 2: best anchor of query 1
    assert neg.tolist() == [3]
    assert best[2].item() == 1 and best[0].item() == 0
    # the sampler: at most 256 anchors per image, at most half positive
    many = torch.tensor([[0., 0., 10., 10.]]).repeat(300, 1)
    many = torch.cat(
        [many, torch.tensor([[50., 50., 60., 60.]]).repeat(300, 1)])
    pos, neg, _ = head.targets(many, queries[:1])
    assert len(pos) == 128 and len(neg) == 128
    assert (pos < 300).all() and (neg >= 300).all()


@contextmanager
def _one_thread():
    """Float reductions in one fixed order, whatever the machine's (or a
    previous test's) thread setting: 25 SGD steps amplify last-bit
    differences, so the run is only reproducible with a fixed count."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def test_a_few_steps_reduce_the_loss():
    """The loss samples anchors and negatives at random, so one step's value
    is noisy (it rose and fell by 30 % between steps). Before and after
    training the loss is therefore measured on the same samples (three
    fixed seeds, no update), and training itself is seeded and
    single-threaded: the test is deterministic. Measured with this
    procedure for training seeds 0-3 (2-core CPU): after / before = 0.70,
    0.57, 0.55, 0.64 (0.49, 0.60, 0.52, 0.40 before random zero-overlap
    queries, the CROI proposal FC and the per-query regression sum); the
    bound 0.8 leaves a margin over the worst."""
    with _one_thread():
        model, batch = _model_and_batch(num_images=2)
        opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)

        def loss_on_fixed_samples():
            values = []
            for seed in range(3):
                torch.manual_seed(1000 + seed)
                data = model.data_preprocessor(batch, True)
                with torch.no_grad():
                    losses = model(**data, mode='loss')
                values.append(sum(losses.values()).item())
            return float(np.mean(values))

        before = loss_on_fixed_samples()
        torch.manual_seed(0)
        for _ in range(25):
            data = model.data_preprocessor(batch, True)
            losses = model(**data, mode='loss')
            total = sum(losses.values())
            opt.zero_grad()
            total.backward()
            # as the configs' optim_wrapper.clip_grad
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.)
            opt.step()
        after = loss_on_fixed_samples()
    assert after < 0.8 * before, (before, after)


def test_image_dataset_with_labels(toy_root):
    register_all_modules()
    ds = DATASETS.build(
        dict(
            type='ImageDataset',
            data_root=toy_root,
            ann_file='annotations/instances_labeled.json',
            data_prefix=dict(img='images/labeled/'),
            with_labels=True,
            pipeline=[]))
    import json
    coco = json.load(
        open(osp.join(toy_root, 'annotations/instances_labeled.json')))
    assert len(ds) == len(coco['images'])
    cats = sorted(c['id'] for c in coco['categories'])
    info = ds.get_data_info(0)
    expected = np.zeros(len(cats), np.float32)
    for a in coco['annotations']:
        if a['image_id'] == info['img_id']:
            expected[cats.index(a['category_id'])] = 1
    np.testing.assert_array_equal(info['image_labels'], expected)
    assert osp.isfile(info['img_path'])
    unl = DATASETS.build(
        dict(
            type='ImageDataset',
            data_root=toy_root,
            ann_file='images/unlabeled',
            pipeline=[]))
    assert len(unl) == 8 and 'image_labels' not in unl.get_data_info(0)


def test_configs_default_to_the_papers_settings():
    cfg = Config.fromfile(PREDET_CFG)
    assert cfg.model.cls_loss == 'softmax_khot'
    assert cfg.model.num_queries == 16
    assert cfg.model.query_sampling == 'random'
    assert cfg.model.rpn_head.zero_iou_query == 'random'
    assert cfg.model.roi_head.max_negatives == 512
    assert cfg.model.roi_head.tau == 0.07
    pool = cfg.model.pool_size
    assert pool > cfg.model.num_queries
    edge, = [t for t in cfg.train_pipeline if t['type'] == 'EdgeQueries']
    assert edge['num'] == pool
    mini = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'predet',
                 'predet_effl0_fpn_3e_coco-mini-unlabeled.py'))
    edge, = [
        t for t in mini.train_dataloader.dataset.pipeline
        if t['type'] == 'EdgeQueries'
    ]
    assert edge['num'] == mini.model.pool_size == pool
    assert mini.model.query_sampling == 'random'


def _stub_cls_model(cls_loss=None):
    """A PreDet (the toy config's, ``cls_loss`` if given) whose classifier
    maps a 2-channel pooled feature x to logits (x0, x1, x0 + x1)."""
    register_all_modules()
    cfg = Config.fromfile(PREDET_CFG)
    cfg.model.num_classes = 3
    if cls_loss is not None:
        cfg.model.cls_loss = cls_loss
    model = MODELS.build(cfg.model)
    model.cls_fc = nn.Linear(2, 3)
    with torch.no_grad():
        model.cls_fc.weight.copy_(torch.tensor([[1., 0.], [0., 1.], [1., 1.]]))
        model.cls_fc.bias.zero_()
    return model


def _two_image_cls_batch():
    """Two FPN levels of two images; the pooled (2,) features are
    level 0: (1, 0) and (0, 2); level 1: (0, 0) and (0.5, 0.5), the latter
    from spatially varying maps. Labels: image 0 {0, 2}, image 1 {1}."""
    lvl0 = torch.zeros(2, 2, 2, 2)
    lvl0[0, 0] = 1.
    lvl0[1, 1] = 2.
    lvl1 = torch.zeros(2, 2, 4, 4)
    lvl1[1, :, :2] = 1.  # half the map at 1: mean 0.5
    samples = []
    for labels in ([1., 0., 1.], [0., 1., 0.]):
        s = DetDataSample()
        s.image_labels = torch.tensor(labels)
        samples.append(s)
    return (lvl0, lvl1), samples


def test_cls_loss_is_khot_softmax_cross_entropy_by_default():
    feats, samples = _two_image_cls_batch()
    e = math.e
    # level 0: logits (1, 0, 1) with targets (1/2, 0, 1/2), and (0, 2, 2)
    # with target class 1
    l00 = -0.5 * ((1 - math.log(2 * e + 1)) + (1 - math.log(2 * e + 1)))
    l01 = -(2 - math.log(1 + 2 * e**2))
    # level 1: logits (0, 0, 0) -> log 3; (0.5, 0.5, 1), target class 1
    l10 = math.log(3)
    l11 = -(0.5 - math.log(2 * e**0.5 + e))
    expected = ((l00 + l01) / 2 + (l10 + l11) / 2) / 2
    model = _stub_cls_model()  # the config's default
    loss = model._cls_loss(feats, samples)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert model.cls_loss == 'softmax_khot'

    # 'bce': mean sigmoid BCE over images and classes, as before
    def bce(logits, labels):
        return np.mean([
            math.log(1 + math.exp(z)) - y * z for z, y in zip(logits, labels)
        ])

    l0 = (bce([1, 0, 1], [1, 0, 1]) + bce([0, 2, 2], [0, 1, 0])) / 2
    l1 = (bce([0, 0, 0], [1, 0, 1]) + bce([.5, .5, 1], [0, 1, 0])) / 2
    bce_loss = _stub_cls_model('bce')._cls_loss(feats, samples)
    assert bce_loss.item() == pytest.approx((l0 + l1) / 2, rel=1e-6)
    assert abs(bce_loss.item() - loss.item()) > 0.1
    with pytest.raises(ValueError, match='cls_loss'):
        _stub_cls_model('sigmoid')


def test_khot_softmax_ignores_images_without_labels():
    logits = torch.tensor([[2., 0.], [5., -1.]], requires_grad=True)
    labels = torch.tensor([[1., 1.], [0., 0.]])
    loss = khot_softmax_cross_entropy(logits, labels)
    p = math.exp(2) / (math.exp(2) + 1)
    assert loss.item() == pytest.approx(
        -0.5 * (math.log(p) + math.log(1 - p)), rel=1e-6)
    none = khot_softmax_cross_entropy(logits, torch.zeros(2, 2))
    assert none.item() == 0.
    none.backward()  # still attached to the logits


def _pool_sample(n):
    """A data sample with a pool of n distinct boxes; view 2's are view 1's
    shifted by 100."""
    s = DetDataSample()
    v1 = torch.stack(
        [torch.tensor([j, j, j + 10., j + 10.]) for j in range(n)])
    s.query_boxes = torch.stack([v1, v1 + 100.])
    return s


def _chosen(queries):
    """Pool indices of each image's (2, Q, 4) queries (views aligned)."""
    out = []
    for q in queries:
        torch.testing.assert_close(q[1], q[0] + 100.)
        out.append(tuple(q[0, :, 0].long().tolist()))
    return out


def test_queries_are_drawn_at_random_from_the_pool_every_iteration():
    model, _ = _model_and_batch()
    assert model.query_sampling == 'random'  # the config's default
    model.num_queries, model.pool_size = 4, 10
    samples = [_pool_sample(12), _pool_sample(12)]
    torch.manual_seed(0)
    draws = [_chosen(model.sample_queries(samples)) for _ in range(20)]
    torch.manual_seed(0)
    again = [_chosen(model.sample_queries(samples)) for _ in range(20)]
    assert draws == again  # reproducible under torch.manual_seed
    assert draws[0] != draws[1]  # a new set in the next iteration
    flat = [q for d in draws for img in d for q in img]
    assert all(len(img) == 4 for d in draws for img in d)
    assert set(flat) == set(range(10))  # the whole pool, nothing beyond
    assert len({d[0] for d in draws}) > 10
    # 'topk': the pool's best num_queries, every time, no RNG
    model.query_sampling = 'topk'
    state = torch.get_rng_state()
    for _ in range(3):
        assert _chosen(model.sample_queries(samples)) == [(0, 1, 2, 3)] * 2
    assert torch.equal(state, torch.get_rng_state())
    # a pool smaller than num_queries is used whole
    model.query_sampling = 'random'
    assert _chosen(model.sample_queries([_pool_sample(3)])) == [(0, 1, 2)]


def test_loss_scores_the_sampled_queries():
    model, batch = _model_and_batch()  # pools of 8 boxes per image
    model.num_queries = 3
    seen = []
    forward = model.rpn_head.forward

    def spy(feats, query_feats, num_queries):
        seen.append(list(num_queries))
        return forward(feats, query_feats, num_queries)

    model.rpn_head.forward = spy
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    assert seen == [[3, 3]]
    assert all(torch.isfinite(v) for v in losses.values())


def test_zero_overlap_negatives_are_scored_against_a_random_query():
    model, _ = _model_and_batch()
    head = model.rpn_head
    queries = torch.tensor([[0., 0., 10., 10.], [20., 0., 30., 10.],
                            [40., 0., 50., 10.]])
    # anchor 0 = query 0 (positive), 1 overlaps only query 2, a little
    # (IoU 1/19: negative), 2-41 overlap no query at all
    far = torch.tensor([[100., 100., 110., 110.]]).repeat(40, 1)
    anchors = torch.cat(
        [queries[:1], torch.tensor([[49., 0., 59., 10.]]), far])

    def draws(n=5):
        out = []
        for _ in range(n):
            pos, neg, best = head.targets(anchors, queries)
            assert pos.tolist() == [0] and best[0].item() == 0
            assert sorted(neg.tolist()) == list(range(1, 42))
            assert best[1].item() == 2  # best overlap, not random
            out.append(best[2:].tolist())
        return out

    torch.manual_seed(0)
    first = draws()
    torch.manual_seed(0)
    assert draws() == first  # deterministic under a seed
    flat = [q for d in first for q in d]
    assert set(flat) == {0, 1, 2}  # not always query 0
    assert first[0] != first[1]
    assert head.zero_iou_query == 'random'  # the config's default
    head.zero_iou_query = 'first'
    assert all(q == 0 for d in draws(2) for q in d)


def test_croi_regression_projects_both_query_and_proposal_features():
    model, _ = _model_and_batch()
    head = model.roi_head
    torch.manual_seed(0)
    q, hidden, d = 3, head.hidden, head.reg_dims
    hq, hb = torch.randn(q, hidden), torch.randn(q, hidden)
    pred = head.regress(hq, hb)
    w = head.reg_proj(hq).view(q, 4, d)
    p = head.reg_proj_proposal(hb)
    expected = torch.stack([
        torch.stack([(w[i, k] * p[i]).sum() for k in range(4)])
        for i in range(q)
    ]) / math.sqrt(d)
    torch.testing.assert_close(pred, expected)
    assert head.reg_proj_proposal.weight.shape == (d, hidden)
    assert head.reg_proj.weight.shape == (4 * d, hidden)

    # through loss(): smooth-L1 summed over the 4 deltas, mean over queries
    in_dims = head.shared_fcs[0].in_features
    boxes = [
        torch.tensor([[0., 0., 10., 10.], [30., 30., 50., 50.],
                      [1., 1., 11., 12.]])
    ]
    queries = [boxes[0][2:]]
    box_feats = torch.randn(3, in_dims)
    query_feats = torch.randn(1, in_dims)
    head.sample = lambda b, n, qq: (torch.tensor([0]), torch.tensor([1]))
    _, loss_reg = head.loss(box_feats, boxes, [2], query_feats, queries)
    hb = head.shared_fcs(box_feats)
    hq = head.shared_fcs(query_feats)
    diff = head.regress(hq, hb[:1]) - head.bbox_coder.encode(
        boxes[0][:1], queries[0])
    beta = head.smooth_l1_beta
    a = diff.abs()
    sl1 = torch.where(a < beta, 0.5 * a**2 / beta, a - 0.5 * beta)
    assert loss_reg.item() == pytest.approx(
        sl1.sum().item() * head.loss_reg_weight, rel=1e-5)
