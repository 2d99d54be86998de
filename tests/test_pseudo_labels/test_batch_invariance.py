# Copyright (c) mmcasp contributors. All rights reserved.
"""An image's pseudo labels do not depend on the batch it is in.

On a CPU each image's forward pass runs alone on one thread
(:mod:`mmcasp.pseudo_labels.one_thread_workers`), so batch 1, batch 8,
one worker or three, and two one-thread processes write the same file,
compared exactly (boxes,
scores, RLEs and ids as written): no tolerance is needed, because every
image goes through the same floating-point operations in all three runs,
whatever the thread count (the suite runs with OMP_NUM_THREADS unset, 1 and
2). The CAM labeler runs each image's forward alone.
"""
import copy
import functools
import json
import os
import os.path as osp
import threading

import cv2
import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from mmdet.models.dense_heads import CondInstMaskHead
from mmdet.models.utils import aligned_bilinear
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from torch import nn

from mmcasp.pseudo_labels import (CamPredictor, DetectorPredictor,
                                  collect_images, postprocess,
                                  run_pseudo_labeling)
from mmcasp.pseudo_labels.labeling_loop import bucket_batches
from mmcasp.pseudo_labels.postprocess import (mask_chunks,
                                              paste_condinst_masks,
                                              upsample_mask_probs)
from mmcasp.registry import MODELS
from mmcasp.utils import register_all_modules
from tests._helpers import SHARED, TINY_CONFIG, free_port

COCO_MINI = osp.join(SHARED, 'data', 'coco-mini')
NEEDS_COCO_MINI = pytest.mark.skipif(
    not osp.isdir(COCO_MINI),
    reason=f'real COCO-mini images not found at {COCO_MINI}')
NUM_IMAGES = 8


def test_bucket_batches_one_key_per_batch():
    items = [dict(i=i, k=k) for i, k in enumerate('aabacbbbcaa')]
    batches = list(bucket_batches(items, 3, lambda it: it['k']))
    # full buckets as they fill, the rest in first-seen order of their keys
    assert [[it['i'] for it in b] for b in batches] == [[0, 1, 3], [2, 5, 6],
                                                        [4, 8], [7], [9, 10]]
    assert all(len({it['k'] for it in b}) == 1 for b in batches)
    # a key of None goes out alone, at once
    batches = list(
        bucket_batches(items, 3, lambda it: None if it['i'] == 1 else 0))
    assert [[it['i'] for it in b] for b in batches][:2] == [[1], [0, 2, 3]]
    # bounded memory: over max_held waiting items, the fullest bucket goes
    batches = list(bucket_batches(items, 4, lambda it: it['k'], max_held=3))
    assert sorted(it['i'] for b in batches for it in b) == list(range(11))
    assert [[it['i'] for it in b] for b in batches][:2] == [[0, 1, 3],
                                                            [2, 5, 6]]
    with pytest.raises(ValueError, match='batch_size'):
        list(bucket_batches(items, 0, lambda it: 0))


class _Recorder:
    """A predictor with ``submit``: records when batches start, when their
    results are taken and when they are cancelled; ``background`` results
    have a ``cancel()`` (as the detector's CPU workers' do)."""

    batch_key = None

    def __init__(self, background=True, fail_at=None):
        self.events, self.background, self.fail_at = [], background, fail_at

    def submit(self, items):
        ids = [it['entry']['id'] for it in items]
        self.events.append(('start', ids))

        def results():
            self.events.append(('take', ids))
            if ids[0] == self.fail_at:
                raise RuntimeError('worker failed')
            return [[] for _ in items]

        if self.background:
            results.cancel = lambda: self.events.append(('cancel', ids))
        return results


def _entries(tmp_path, n):
    entries = []
    for i in range(n):
        path = tmp_path / f'{i}.png'
        cv2.imwrite(str(path), np.full((8, 8, 3), 100, np.uint8))
        entries.append(
            dict(id=i, file_name=path.name, path=str(path), width=8, height=8))
    return entries


def _run_recorded(tmp_path, pred):
    out = str(tmp_path / 'out.json')
    run_pseudo_labeling(
        _entries(tmp_path, 5),
        pred,
        out,
        batch_size=2,
        num_workers=0,
        show_progress=False,
        drop_empty=False)
    return out


def test_loop_starts_the_next_batch_before_writing_this_one(tmp_path):
    """With a predictor that labels in the background (the detector's CPU
    workers), the loop starts batch k + 1 before it takes and writes batch
    k's results, so no worker waits while a batch is written; every image
    is written once, in order. A predictor that labels at once is written
    at once."""
    pred = _Recorder()
    out = _run_recorded(tmp_path, pred)
    assert pred.events == [('start', [0, 1]), ('start', [2, 3]),
                           ('take', [0, 1]), ('start', [4]), ('take', [2, 3]),
                           ('take', [4])]
    assert [im['id']
            for im in json.load(open(out))['images']] == list(range(5))
    pred = _Recorder(background=False)
    (tmp_path / 'sync').mkdir()
    _run_recorded(tmp_path / 'sync', pred)
    assert pred.events == [('start', [0, 1]), ('take', [0, 1]),
                           ('start', [2, 3]), ('take', [2, 3]), ('start', [4]),
                           ('take', [4])]


def test_loop_cancels_queued_work_on_error(tmp_path):
    """An error while a batch is taken (a worker's exception, a full disk,
    Ctrl-C) cancels the batch queued behind it before it propagates."""
    pred = _Recorder(fail_at=2)
    with pytest.raises(RuntimeError, match='worker failed'):
        _run_recorded(tmp_path, pred)
    after = pred.events[pred.events.index(('take', [2, 3])) + 1:]
    assert ('cancel', [4]) in after
    assert not any(e == 'start' for e, _ in after)


def _same_as_aligned_bilinear(prob, factor, img_shape):
    ref = aligned_bilinear(prob, factor)[..., :img_shape[0], :img_shape[1]]
    ours = upsample_mask_probs(prob, factor, img_shape)
    return ours.shape == ref.shape and torch.equal(ours, ref)


@pytest.mark.parametrize('factor', [1, 2, 3, 4, 8])
@pytest.mark.parametrize('hw', [(1, 1), (6, 9), (25, 34), (40, 57), (3, 70)])
def test_upsample_mask_probs_is_aligned_bilinear_bit_for_bit(factor, hw):
    """Same values as mmdet's ``aligned_bilinear`` and crop, compared
    exactly: the shifted upsampling reads the same inputs with the same
    weights (values spread over several binades, so roundings show), for
    1, 3 and 4 masks (PyTorch resizes 3 channels on one thread with
    another kernel) on one thread and on the process's."""
    torch.manual_seed(factor)
    h, w = hw
    scales = torch.tensor([1., 1e-3, 1e3, 1e-6])[:, None, None]
    prob = torch.rand(1, 4, h, w)**3 * scales
    threads = torch.get_num_threads()
    try:
        for n in {1, threads}:
            torch.set_num_threads(n)
            for k in (1, 3, 4):
                for img_shape in [(factor * h, factor * w),
                                  (max(1,
                                       factor * h - 3), max(1,
                                                            factor * w - 1))]:
                    assert _same_as_aligned_bilinear(prob[:, :k], factor,
                                                     img_shape)
    finally:
        torch.set_num_threads(threads)


def test_upsample_mask_probs_around_the_separable_kernel_s_sizes():
    """Outputs of height + width around 128, where PyTorch switches
    between its separable and generic resize kernels."""
    torch.manual_seed(0)
    for factor in (2, 4, 8):
        for total in range(100, 160, 2):
            if (total - 2) % factor:
                continue
            side = (total - 2) // factor
            h = max(1, side // 3)
            prob = torch.rand(1, 3, h, side - h)
            assert _same_as_aligned_bilinear(prob, factor,
                                             (factor * h, factor *
                                              (side - h))), (factor, total)


def test_upsample_mask_probs_refuses_what_it_cannot_crop():
    prob = torch.rand(1, 1, 5, 6)
    with pytest.raises(ValueError, match='exceeds'):
        upsample_mask_probs(prob, 4, (21, 24))
    with pytest.raises(ValueError, match='positive integer'):
        upsample_mask_probs(prob, 2.5, (10, 12))
    assert torch.equal(
        upsample_mask_probs(prob, 4.0, (20, 24)),
        upsample_mask_probs(prob, 4, (20, 24)))


def test_mask_chunks_cover_every_mask_and_never_three():
    for n in range(12):
        for size in range(1, 9):
            chunks = mask_chunks(n, size)
            assert [i for a, b in chunks
                    for i in range(a, b)] == list(range(n))
            assert all(0 < b - a <= size and b - a != 3 for a, b in chunks)


@pytest.mark.parametrize('chunk_bytes', [1, 10**9])
def test_paste_condinst_masks_equals_mmdet(monkeypatch, chunk_bytes):
    """One mask at a time or all at once (the CPU's chunks), the masks of
    mmdet's ``CondInstMaskHead``."""
    monkeypatch.setattr(postprocess, 'CPU_PASTE_CHUNK_BYTES', chunk_bytes)
    torch.manual_seed(0)
    logits = torch.randn(5, 24, 32) * 3
    logits[1] -= 30  # no pixel reaches the threshold: skipped, empty
    logits[3] = -0.05  # just below it everywhere, also empty
    head = ConfigDict(mask_out_stride=4, test_cfg=ConfigDict(mask_thr=0.5))
    meta = dict(
        img_shape=(90, 128), ori_shape=(281, 400), scale_factor=(0.32, 0.32))
    ref = CondInstMaskHead._predict_by_feat_single(
        head, logits, torch.zeros(5, 4), meta, rescale=True)
    ours = paste_condinst_masks(logits, meta['img_shape'], meta['ori_shape'],
                                4, 0.5)
    assert torch.equal(ours, ref) and ref.any() and not ref.all()
    assert not ref[1].any() and not ref[3].any()
    # the column-major layout RLE encoding reads without a copy
    assert ours.transpose(1, 2).is_contiguous()
    assert paste_condinst_masks(logits[:0], (90, 128), (281, 400), 4,
                                0.5).shape == (0, 281, 400)


@functools.lru_cache()
def _detector():
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.model.test_cfg.score_thr = 0.0  # untrained: let low scores through
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    return model.eval(), cfg.test_dataloader.dataset.pipeline


def _detector_predictor(**kw):
    """A predictor of its own copy of the seeded model (a predictor fuses
    and converts its model in place)."""
    model, pipeline = _detector()
    return DetectorPredictor(copy.deepcopy(model), pipeline, delta=0.05, **kw)


def _items(pred, sizes):
    rng = np.random.default_rng(0)
    items = []
    for i, (h, w) in enumerate(sizes):
        img = (rng.random((h, w, 3)) * 255).astype(np.uint8)
        entry = dict(id=i, path=f'{i}.png', width=w)
        inputs = pred.prepare(entry, img)
        items.append(dict(entry=entry, width=w, inputs=inputs))
    return items


@pytest.mark.parametrize('flip', [False, True])
def test_cpu_forward_one_image_one_thread(flip):
    """Every CPU forward pass holds one image and runs on one thread, on
    the workers' threads, not the caller's: a batch's labels are each
    image's alone, for one worker or three (flip included, whose merge is
    per image)."""
    pred = _detector_predictor(cpu_workers=3, flip=flip)
    assert pred.forward_settings() == dict(
        device='cpu',
        batch_invariant=True,
        channels_last=True,
        fuse_conv_bn=True,
        fp16=False,
        bf16=False)
    seen = []
    forward = pred._forward

    def spy(packed):
        name = threading.current_thread().name
        seen.append((len(packed), torch.get_num_threads(), name))
        return forward(packed)

    pred._forward = spy
    items = _items(pred, [(120, 160)] * 3 + [(160, 120)])
    caller = torch.get_num_threads()
    four = pred(items)
    assert torch.get_num_threads() == caller
    assert {(n, t) for n, t, _ in seen} == {(1, 1)}
    assert all(name.startswith('mmcasp-one-thread') for *_, name in seen)
    assert any(labels for labels, _ in four), 'no labels to compare'
    assert [pred([it])[0] for it in items] == four
    one = _detector_predictor(cpu_workers=1, flip=flip)
    assert one(items) == four


def test_fused_conv_bn_computes_the_same_function():
    """``fuse_conv_bn`` (the default) folds every BatchNorm into its
    convolution: the head outputs agree with the unfused model's up to
    rounding (one multiply-add per channel reordered per layer, ~1e-7
    relative each over ~20 layers; 1e-4 leaves room for any CPU)."""
    unfused = _detector_predictor(fuse_conv_bn=False)
    fused = _detector_predictor(fuse_conv_bn=True)
    assert any(isinstance(m, nn.BatchNorm2d) for m in unfused.model.modules())
    assert not any(
        isinstance(m, nn.BatchNorm2d) for m in fused.model.modules())
    assert fused.forward_settings()['fuse_conv_bn']
    x = torch.randn(
        1, 3, 96, 128, generator=torch.Generator().manual_seed(0)).contiguous(
            memory_format=torch.channels_last)
    with torch.no_grad():
        outs = [
            p.model.bbox_head(p.model.extract_feat(x))
            for p in (unfused, fused)
        ]
    flat = [[t for level in o for t in level] for o in outs]
    assert len(flat[0]) == len(flat[1]) > 0
    for a, b in zip(*flat):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_bf16_is_checked_and_exclusive():
    with pytest.raises(ValueError, match='exclude'):
        _detector_predictor(fp16=True, bf16=True)
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        pred = _detector_predictor(bf16=True)
        assert pred.forward_settings()['bf16']
        assert pred(_items(pred, [(120, 160)]))[0] is not None
    else:
        with pytest.raises(ValueError, match='native bf16'):
            _detector_predictor(bf16=True)


def test_masks_for_candidates_only_give_the_stock_labels():
    """Box rules before the mask head: the labels of the stock path
    (``test_step`` for every prediction, then the rules), bit for bit."""
    stock = _detector_predictor(prefilter=False)
    fast = _detector_predictor(prefilter=True)
    assert fast._staged() and not stock._staged()
    items = _items(fast, [(150, 200), (200, 150)])
    for it in items:  # one image per batch: two padded shapes
        ref, got = stock([it])[0], fast([it])[0]
        assert ref == got
        assert any('segmentation' in inst for inst in got[0])


def _subset(tmp_dir):
    src = json.load(open(osp.join(COCO_MINI, 'annotations', 'unlabeled.json')))
    src['images'] = src['images'][:NUM_IMAGES]
    path = osp.join(tmp_dir, 'images.json')
    with open(path, 'w') as f:
        json.dump(src, f)
    entries, _, _ = collect_images(path, osp.join(COCO_MINI, 'images'))
    return entries


def _cam_predictor():
    from tests.test_pseudo_labels.test_cam_labeler_models import _classifier
    torch.manual_seed(0)
    return CamPredictor(
        _classifier().eval(), top_k=2, scales=(64, ), flip=True)


def _label(kind, entries, out, batch_size, predictor_kw={}, **kw):
    pred = _detector_predictor(**predictor_kw) if kind == 'detector' \
        else _cam_predictor()
    run_pseudo_labeling(
        entries,
        pred,
        out,
        prepare=pred.prepare,
        batch_size=batch_size,
        num_workers=0,
        show_progress=False,
        **kw)
    return pred


def _content(path):
    d = json.load(open(path))
    return d['images'], d['annotations'], d['categories']


def _two_processes(rank, port, entries, outs):
    os.environ.update(
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE='2')
    torch.set_num_threads(1)  # as mmengine sets under torch.distributed
    torch.distributed.init_process_group('gloo', rank=rank, world_size=2)
    try:
        for kind, out in outs.items():
            _label(kind, entries, out, 8)
    finally:
        torch.distributed.destroy_process_group()


@NEEDS_COCO_MINI
def test_labels_same_for_batch_1_8_and_two_processes(tmp_path):
    entries = _subset(str(tmp_path))
    runs = {}
    for kind in ('detector', 'cam'):
        for bs in (1, 8):
            out = str(tmp_path / f'{kind}_{bs}.json')
            _label(kind, entries, out, bs)
            runs[kind, bs] = _content(out)
        runs[kind, 'dist'] = str(tmp_path / f'{kind}_dist.json')
    mp.spawn(
        _two_processes,
        args=(free_port(), entries, {
            k: runs[k, 'dist']
            for k in ('detector', 'cam')
        }),
        nprocs=2)
    for kind in ('detector', 'cam'):
        assert runs[kind, 1][1], f'{kind}: no labels to compare'
        assert runs[kind, 8] == runs[kind, 1], kind
        assert _content(runs[kind, 'dist']) == runs[kind, 1], kind
    shards = os.listdir(runs['detector', 'dist'] + '.shards')
    assert 'shard-001-of-002.jsonl' in shards
    # not vacuous: the images have several padded shapes, and batching them
    # together (mmdet's padding to the largest) changes labels
    pred = _detector_predictor()
    shapes = {
        pred.batch_key(dict(inputs=pred.prepare(e, _img(e))))
        for e in entries
    }
    assert len(shapes) > 1
    mixed = str(tmp_path / 'mixed.json')
    _label(
        'detector',
        entries,
        mixed,
        8,
        batch_key=lambda it: 0,
        predictor_kw=dict(batch_invariant=False))
    assert _content(mixed) != runs['detector', 1]


def _img(entry):
    from mmcasp.datasets import decode_image
    return decode_image(entry['path'], 40_000_000)[0]
