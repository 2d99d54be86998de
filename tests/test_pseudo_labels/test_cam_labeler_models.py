# Copyright (c) mmcasp contributors. All rights reserved.
"""CAM labeler with a user's classifier, and the CAM hook."""
import json
import os.path as osp
import subprocess
import sys
import types

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcasp.engine.hooks import CamPseudoLabelHook
from mmcasp.models import LinearHeadClassifier
from mmcasp.pseudo_labels import CamPredictor
from mmcasp.utils import register_all_modules
from tests._helpers import REPO_ROOT, subprocess_env

BACKBONE = dict(
    type='ResNet',
    depth=18,
    base_channels=8,
    out_indices=(3, ),
    norm_eval=False,
    init_cfg=None)


def _classifier():
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        return LinearHeadClassifier(
            backbone=BACKBONE, in_channels=64, num_classes=5)


def test_linear_head_classifier_loads_mmpretrain_checkpoints():
    torch.manual_seed(0)
    src = _classifier()
    state = {
        ('head.fc.' + k[3:] if k.startswith('fc.') else k): v
        for k, v in src.state_dict().items()
    }
    assert 'head.fc.weight' in state
    dst = _classifier()
    dst.load_mmpretrain_state_dict(state)
    x = torch.rand(1, 3, 64, 64) * 255
    src.eval(), dst.eval()
    assert torch.equal(src(src.normalize(x)), dst(dst.normalize(x)))


def test_cam_predictor_with_image_level_labels():
    torch.manual_seed(0)
    model = _classifier().eval()
    pred = CamPredictor(
        model,
        image_labels={
            'a.jpg': [1, 3],
            'none.jpg': []
        },
        top_k=1,
        scales=(64, ),
        flip=True,
        category_ids=[10, 11, 12, 13, 14])
    img = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)
    entry = dict(id=7, file_name='a.jpg')
    inputs = pred.prepare(entry, img)
    assert inputs[0].shape == (3, 64, 85)

    def labels(file_name):
        (inst, _), = pred([
            dict(
                entry=dict(id=7, file_name=file_name),
                height=48,
                width=64,
                inputs=inputs)
        ])
        return inst

    inst = labels('a.jpg')  # its ground-truth classes (keyed by file name)
    assert inst and {i['category_id'] for i in inst} <= {11, 13}
    for i in inst:
        x, y, w, h = i['bbox']
        assert 0 <= x and x + w <= 64 + 1e-3 and y + h <= 48 + 1e-3
    # listed without a label: no class, no box
    assert labels('none.jpg') == []
    # not listed: truly unlabeled, the top-1 predicted class
    assert len({i['category_id'] for i in labels('other.jpg')}) == 1


def test_cam_tool_with_user_classifier_and_labels(toy_root, tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / 'cls.pth'
    cfg = tmp_path / 'cls.py'
    cfg.write_text('classifier = ' + repr(
        dict(
            type='LinearHeadClassifier',
            backbone=BACKBONE,
            in_channels=64,
            num_classes=6)) + '\n')
    # 6 classes = the toy thing categories of the labels file
    torch.save(
        {
            'state_dict': {
                ('head.fc.' + k[3:] if k.startswith('fc.') else k): v
                for k, v in _six().state_dict().items()
            }
        }, str(ckpt))
    out = str(tmp_path / 'weak.json')
    labels = osp.join(toy_root, 'annotations', 'instances_val.json')
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools',
                 'cam_pseudo_label.py'), '--images', labels, '--image-root',
        osp.join(toy_root, 'images', 'val'), '--labels', labels,
        '--classifier-config',
        str(cfg), '--checkpoint',
        str(ckpt), '--out', out, '--scales', '96', '--num-workers', '0'
    ],
                          capture_output=True,
                          text=True,
                          env=subprocess_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    d = json.load(open(out))
    gt = json.load(open(labels))
    assert [c['name']
            for c in d['categories']] == [c['name'] for c in gt['categories']]
    present = {}
    for a in gt['annotations']:
        present.setdefault(a['image_id'], set()).add(a['category_id'])
    # every image with image-level labels gets boxes, whatever the
    # classifier's weights: a class's CAM is min-max normalised, so its top
    # cell passes every threshold (< 1), and a box spans at least one cell
    # (32 px here); an image listed without a label gets none
    assert present and {a['image_id'] for a in d['annotations']} == \
        set(present)
    for a in d['annotations']:
        # weakly supervised: only classes the image is labeled with
        assert a['category_id'] in present[a['image_id']]


def _six():
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmcasp'):
        return LinearHeadClassifier(
            backbone=BACKBONE, in_channels=64, num_classes=6)


def test_cam_hook_labels_with_the_runner_model(toy_root, tmp_path):
    torch.manual_seed(0)
    hook = CamPseudoLabelHook(
        osp.join(toy_root, 'images', 'val'),
        scales=(96, ),
        flip=False,
        num_workers=0)
    runner = types.SimpleNamespace(
        model=_six(),
        work_dir=str(tmp_path),
        epoch=3,
        cfg=Config(dict(default_scope='mmcasp')))
    hook.after_train(runner)
    d = json.load(open(hook.last_out))
    assert hook.last_out == osp.join(
        str(tmp_path), 'pseudo_labels', 'pseudo_final.json')
    assert d['info']['description'] == 'DAP CAM pseudo labels'
    assert d['categories'][0]['name'] == 'object'
    assert d['info']['stats']['images_in'] == 8
    assert runner.model.training  # the hook restores the model's mode
