# Copyright (c) mmcasp contributors. All rights reserved.
"""DAP Step 1: ImageLevelClassifier (loss, predict, the CAM interface) and
its toy config trained by the Runner, then loaded for CAM boxes."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

from mmcasp.models import ImageLevelClassifier
from mmcasp.models.losses import khot_softmax_cross_entropy
from mmcasp.registry import MODELS
from mmcasp.utils import register_all_modules
from tests._helpers import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'classifier',
                  'image-cls_r18w16_gap_toy-30e_toy-labels.py')


def _model(**kwargs):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(CONFIG).model
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        return MODELS.build(cfg)


def _batch(n=3, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8)
        for _ in range(n)
    ]
    labels = [[1, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]]
    samples = []
    for i in range(n):
        s = BaseDataElement()
        s.image_labels = torch.tensor(labels[i % 3], dtype=torch.float32)
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def test_config_builds_the_classifier():
    model = _model()
    assert isinstance(model, ImageLevelClassifier)
    weight, bias = model.cam_weights()
    assert weight.shape == (6, 128) and bias.shape == (6, )
    cfg = Config.fromfile(CONFIG)
    assert cfg.train_cfg.max_epochs == 30
    assert cfg.default_hooks.checkpoint.interval == 1
    assert 'val_cfg' not in cfg and 'val_dataloader' not in cfg


def test_loss_and_predict():
    torch.manual_seed(0)
    model = _model()
    data = model.data_preprocessor(_batch(), True)
    assert data['inputs'].shape == (3, 3, 64, 64)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls'}
    assert losses['loss_cls'].dim() == 0
    assert torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        logits = model(data['inputs'])
        # the k-hot loss of the labeled images (the unlabeled one skipped)
        labels = torch.stack([s.image_labels for s in data['data_samples']])
        expected = khot_softmax_cross_entropy(logits, labels)
        assert torch.allclose(
            model.loss(logits, data['data_samples']), expected)
        preds = model(**data, mode='predict')
    assert logits.shape == (3, 6)
    assert len(preds) == 3
    for p, row in zip(preds, logits):
        assert p.pred_score.shape == (6, )
        assert torch.allclose(p.pred_score, row.softmax(-1), atol=1e-6)
        assert int(p.pred_label) == int(row.argmax())
    fresh = model(data['inputs'], mode='predict')
    assert len(fresh) == 3 and fresh[0].pred_score.shape == (6, )


def test_bce_loss_skips_unlabeled_images_and_bad_choices_fail():
    torch.manual_seed(0)
    model = _model(loss='bce')
    data = model.data_preprocessor(_batch(), True)
    model.eval()
    with torch.no_grad():
        logits = model(data['inputs'])
        got = model.loss(logits, data['data_samples'])
        labels = torch.stack([s.image_labels for s in data['data_samples']])
        keep = labels.sum(1) > 0
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            logits[keep], labels[keep])
        assert torch.allclose(got, expected)
        pred = model(**data, mode='predict')[0].pred_score
        assert torch.allclose(pred, logits[0].sigmoid(), atol=1e-6)
    with pytest.raises(ValueError, match='loss must be one of'):
        _model(loss='focal')
    with pytest.raises(ValueError, match='image_labels'):
        model.loss(logits, [BaseDataElement()] * 3)


@pytest.mark.parametrize('bgr_to_rgb', [True, False])
def test_normalize_matches_the_data_preprocessor(bgr_to_rgb):
    """The CAM labeler gives ``normalize`` an RGB image; training gives the
    data preprocessor the same image loaded BGR: both must feed the
    network the same tensor."""
    model = _model(
        data_preprocessor=dict(
            type='ImgDataPreprocessor',
            mean=[100., 110., 120.],
            std=[50., 60., 70.],
            bgr_to_rgb=bgr_to_rgb))
    bgr = torch.randint(0, 256, (2, 3, 40, 48), dtype=torch.uint8)
    pre = model.data_preprocessor(dict(inputs=list(bgr)), False)['inputs']
    rgb = bgr.flip(1).float()
    assert torch.allclose(model.normalize(rgb), pre, atol=1e-5)
    default = ImageLevelClassifier(
        backbone=Config.fromfile(CONFIG).model.backbone,
        in_channels=128,
        num_classes=6)
    pre = default.data_preprocessor(dict(inputs=list(bgr)), False)['inputs']
    assert torch.allclose(default.normalize(rgb), pre, atol=1e-5)


def test_toy_config_trains_and_gives_cam_boxes(toy_root, tmp_path):
    """One short epoch of the toy config with the Runner (4 images, 2
    iterations: ~10 s on 2 CPU cores); its checkpoint loads with
    build_cam_classifier and the CAM labeler finds boxes."""
    from mmengine.runner import Runner

    from mmcasp.apis import build_cam_predictor
    from mmcasp.pseudo_labels import build_cam_classifier
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(CONFIG)
    work_dir = str(tmp_path / 'work')
    cfg.work_dir = work_dir
    cfg.experiment_name = 'image_cls_toy_test'
    cfg.visualizer.name = 'vis_image_cls_toy_test'
    cfg.train_cfg.max_epochs = 1
    cfg.randomness = dict(seed=0, deterministic=False)
    loader = cfg.train_dataloader
    loader.batch_size = 2
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.dataset.data_root = toy_root.rstrip('/') + '/'
    loader.dataset.indices = 4
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    assert runner.train_dataloader.dataset.metainfo['classes'] == ('disk',
                                                                   'ring',
                                                                   'square',
                                                                   'frame',
                                                                   'triangle',
                                                                   'cross')
    labels = np.stack([
        runner.train_dataloader.dataset.get_data_info(i)['image_labels']
        for i in range(4)
    ])
    assert labels.shape == (4, 6) and labels.sum() > 0
    runner.train()
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt)

    classifier = build_cam_classifier(CONFIG, ckpt)
    assert isinstance(classifier, ImageLevelClassifier)
    assert not classifier.training
    trained = runner.model.state_dict()
    for k, v in classifier.state_dict().items():
        assert torch.equal(v, trained[k].cpu()), k

    torch.manual_seed(0)
    predictor = build_cam_predictor(
        classifier=classifier, top_k=2, scales=(96, 192))
    info = runner.train_dataloader.dataset.get_data_info(0)
    img = cv2.imread(info['img_path'])
    entry = dict(id=info['img_id'])
    (inst, _), = predictor([
        dict(
            entry=entry,
            height=img.shape[0],
            width=img.shape[1],
            inputs=predictor.prepare(entry, img))
    ])
    assert inst
    for i in inst:
        x, y, w, h = i['bbox']
        assert w >= 1 and h >= 1
        assert -1e-3 <= x and x + w <= img.shape[1] + 1e-3
        assert -1e-3 <= y and y + h <= img.shape[0] + 1e-3
        assert 1 <= i['category_id'] <= 6
        assert 0 <= i['score'] <= 1
