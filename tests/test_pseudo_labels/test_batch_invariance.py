# Copyright (c) mmcasp contributors. All rights reserved.
"""An image's pseudo labels do not depend on the batch it is in.

Batches hold images of one padded input shape (``bucket_batches`` with the
detector's ``batch_key``), every CPU forward pass holds exactly
``micro_batch`` images, and each convolution computes what oneDNN computes
on one thread (:mod:`mmcasp.pseudo_labels.invariant_cpu_forward`), so
batch 1, batch 8
and two one-thread processes write the same file, compared exactly (boxes,
scores, RLEs and ids as written): no tolerance is needed, because every
image goes through the same floating-point operations in all three runs,
whatever the thread count (the suite runs with OMP_NUM_THREADS unset, 1 and
2). The CAM labeler runs each image's forward alone.
"""
import functools
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from mmdet.models.dense_heads import CondInstMaskHead
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope

from mmcasp.pseudo_labels import (CamPredictor, DetectorPredictor,
                                  collect_images, run_pseudo_labeling)
from mmcasp.pseudo_labels.labeling_loop import bucket_batches
from mmcasp.pseudo_labels.postprocess import paste_condinst_masks
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


def test_paste_condinst_masks_equals_mmdet():
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
    model, pipeline = _detector()
    return DetectorPredictor(model, pipeline, delta=0.05, **kw)


def test_cpu_forward_runs_fixed_micro_batches():
    """Every CPU forward pass holds exactly ``micro_batch`` images, the
    last filled with copies (oneDNN chooses its kernel by the input shape,
    batch included; ATen's one-image convolutions depend on the thread
    count), and an image's outputs are the same in any of them."""
    pred = _detector_predictor(micro_batch=2)
    assert pred.forward_settings() == dict(
        device='cpu',
        batch_invariant=True,
        channels_last=True,
        fp16=False,
        micro_batch=2)
    sizes = []
    forward = pred._forward
    pred._forward = lambda packed, n: sizes.append(len(packed)) or forward(
        packed, n)
    rng = np.random.default_rng(0)
    items = []
    for i in range(3):
        img = (rng.random((120, 160, 3)) * 255).astype(np.uint8)
        entry = dict(id=i, path=f'{i}.png')
        items.append(dict(entry=entry, inputs=pred.prepare(entry, img)))
    three = pred(items)
    assert sizes == [2, 2]
    assert [pred([it])[0] for it in items] == three
    assert sizes[2:] == [2, 2, 2]
    with pytest.raises(ValueError, match='micro_batch'):
        _detector_predictor(micro_batch=1)


def test_masks_for_candidates_only_give_the_stock_labels():
    """Box rules before the mask head: the labels of the stock path
    (``test_step`` for every prediction, then the rules), bit for bit."""
    rng = np.random.default_rng(0)
    stock = _detector_predictor(prefilter=False)
    fast = _detector_predictor(prefilter=True)
    assert fast._staged() and not stock._staged()
    items = []
    for i, (h, w) in enumerate([(150, 200), (200, 150)]):
        img = (rng.random((h, w, 3)) * 255).astype(np.uint8)
        entry = dict(id=i, path=f'{i}.png')
        items.append(dict(entry=entry, inputs=fast.prepare(entry, img)))
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


def _label(kind, entries, out, batch_size, **kw):
    pred = _detector_predictor() if kind == 'detector' else _cam_predictor()
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
    _label('detector', entries, mixed, 8, batch_key=lambda it: 0)
    assert _content(mixed) != runs['detector', 1]


def _img(entry):
    from mmcasp.datasets import decode_image
    return decode_image(entry['path'], 40_000_000)[0]
