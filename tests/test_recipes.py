# Copyright (c) mmcasp contributors. All rights reserved.
"""The papers' hyperparameters stay in the shipped configs.

``ROWS`` copies the rows of docs/recipes.md marked ✓ (value, config, dotted
key, where the paper states it; "not stated" rows hold our documented
choice). Each row loads its config with ``Config.fromfile`` (``_base_``
resolved) and checks the value, so a change cannot drift from the paper
silently. A key ``a.b@Transform.arg`` reads ``arg`` of the transform of type
``Transform`` in the pipeline list at ``a.b``; integer parts index lists.
"""
import inspect
import os.path as osp
import re

import pytest
from mmengine.config import Config

from tests._helpers import REPO_ROOT

CASP = 'configs/casp/casp_r50_fpn_5x-3x_coco.py'
CASP_SWIN = 'configs/casp/casp_swin-t_fpn_5x-3x_coco.py'
CASP_STRONG = 'configs/casp/casp_r50_fpn_strong-5x-3x_coco.py'
CASP_SHORT = 'configs/casp/casp_r50_fpn_3x-1x_coco.py'
LABELER = 'configs/condinst/condinst-ca_r50_fpn_ms-3x_coco-objects.py'
WARMUP = 'configs/condinst/condinst-ca_r50_fpn_ms-5x_coco-objects.py'
WARMUP_SWIN = 'configs/condinst/condinst-ca_swin-t_fpn_ms-5x_coco-objects.py'
WARMUP_STRONG = ('configs/condinst/'
                 'condinst-ca_r50_fpn_strong-5x_coco-objects.py')
FINETUNE = 'configs/transfer/condinst-casp_r50_fpn_ms-3x_coco.py'
FINETUNE_SWIN = 'configs/transfer/condinst-casp_swin-t_fpn_ms-3x_coco.py'
FINETUNE_STRONG = 'configs/transfer/condinst-casp_r50_fpn_strong-3x_coco.py'
DAP = 'configs/casp/dap-ca_effl0_fpn_3-10e_coco-mini.py'
DAP_TOY = 'configs/casp/dap_r18w16_fpn_toy-demo_toy.py'
DAP_PRETRAIN = 'configs/faster_rcnn/faster-rcnn_r50_fpn_dap-ms-1x_coco.py'
DAP_FINETUNE = 'configs/transfer/faster-rcnn-dap_r50_fpn_1x_coco.py'

MS = 'train_dataloader.dataset.pipeline@RandomChoiceResize.scales'
MS_SCALES = [(1333, s) for s in range(640, 801, 32)]
PARTS = ['backbone', 'neck', 'head', 'mask_head']
NOT_STATED = 'not stated (mmdet default)'

# (value, config, dotted key, where the paper states it)
ROWS = [
    # CaSP / CA-SSL: model
    ('ClassAgnosticCondInst', LABELER, 'model.type', 'CaSP Sec. 3.4'),
    ('ClassAgnosticCondInst', WARMUP, 'model.type', 'CaSP Sec. 3.4'),
    ('CondInst', FINETUNE, 'model.type', 'CaSP Sec. 3.4'),
    (1, LABELER, 'model.bbox_head.num_classes', 'CaSP Sec. 3.1 Eq. 1'),
    (1, WARMUP, 'model.bbox_head.num_classes', 'CaSP Sec. 3.1 Eq. 4'),
    (80, FINETUNE, 'model.bbox_head.num_classes', 'CaSP Sec. 3.2'),
    ('DiceLoss', WARMUP, 'model.mask_head.loss_mask.type', 'CaSP Eq. 6'),
    ('SwinTransformer', WARMUP_SWIN, 'model.backbone.type',
     'CaSP Sec. 4 Implementation'),
    ('SwinTransformer', FINETUNE_SWIN, 'model.backbone.type',
     'CaSP Sec. 4 Implementation'),
    (96, FINETUNE_SWIN, 'model.backbone.embed_dims',
     'CaSP Sec. 4 Implementation (Swin-T)'),
    ([2, 2, 6, 2], FINETUNE_SWIN, 'model.backbone.depths',
     'CaSP Sec. 4 Implementation (Swin-T)'),
    ('SwinTransformer', 'configs/condinst/'
     'condinst-ca_swin-t_fpn_ms-3x_coco-objects.py', 'model.backbone.type',
     'CaSP Sec. 4 Implementation'),
    # CaSP: pipeline settings
    (0.2, CASP, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (0.2, CASP_SWIN, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (0.2, CASP_STRONG, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (0.2, CASP_SHORT, 'casp.pseudo.delta', 'CaSP Eq. 2, Table 7'),
    (100, CASP, 'casp.pseudo.max_per_image', NOT_STATED),
    ('annotations/instances_train2017.json', CASP, 'casp.data.labeled.ann',
     'CaSP Sec. 4 Datasets'),
    ('annotations/image_info_unlabeled2017.json', CASP,
     'casp.data.unlabeled.ann', 'CaSP Sec. 4 Datasets (tiny)'),
    ('random', CASP, 'casp.finetune.classifier', 'CaSP Sec. 3.2'),
    (PARTS, CASP, 'casp.finetune.parts', 'CaSP Table 10'),
    (PARTS, CASP_SWIN, 'casp.finetune.parts', 'CaSP Table 10'),
    (LABELER, CASP, 'casp.labeler.config', NOT_STATED),
    (WARMUP, CASP, 'casp.warmup.config', 'CaSP Sec. 4, Table 4'),
    (FINETUNE, CASP, 'casp.finetune.config', 'CaSP Sec. 4, Table 4'),
    (WARMUP_SWIN, CASP_SWIN, 'casp.warmup.config', 'CaSP Sec. 4, Table 4'),
    (FINETUNE_SWIN, CASP_SWIN, 'casp.finetune.config', 'CaSP Sec. 4, Table 4'),
    (WARMUP_STRONG, CASP_STRONG, 'casp.warmup.config', 'CaSP Table 8'),
    (FINETUNE_STRONG, CASP_STRONG, 'casp.finetune.config', 'CaSP Table 8'),
    # CaSP: schedules (late pretraining / warmup 5x, finetune 3x)
    (36, LABELER, 'train_cfg.max_epochs', NOT_STATED),
    (60, WARMUP, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    (60, WARMUP_SWIN, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    (60, WARMUP_STRONG, 'train_cfg.max_epochs', 'CaSP Sec. 4, Tables 3-4'),
    (36, FINETUNE, 'train_cfg.max_epochs', 'CaSP Sec. 4, Table 4'),
    (36, FINETUNE_SWIN, 'train_cfg.max_epochs', 'CaSP Sec. 4, Table 4'),
    (36, FINETUNE_STRONG, 'train_cfg.max_epochs', 'CaSP Sec. 4, Table 4'),
    ([45, 55], WARMUP, 'param_scheduler.1.milestones', NOT_STATED),
    ([27, 33], FINETUNE, 'param_scheduler.1.milestones', NOT_STATED),
    # CaSP: augmentation (weak = multi-scale, strong = scale/colour jitter)
    (MS_SCALES, LABELER, MS, 'CaSP Sec. 4 (range: not stated)'),
    (MS_SCALES, WARMUP, MS, 'CaSP Sec. 4 (range: not stated)'),
    (MS_SCALES, WARMUP_SWIN, MS, 'CaSP Sec. 4 (range: not stated)'),
    (MS_SCALES, FINETUNE, MS, 'CaSP Sec. 4 (range: not stated)'),
    (MS_SCALES, FINETUNE_SWIN, MS, 'CaSP Sec. 4 (range: not stated)'),
    ((0.1, 2.0), WARMUP_STRONG,
     'train_dataloader.dataset.pipeline@RandomResize.ratio_range',
     'CaSP Sec. 4, Table 8'),
    ((0.1, 2.0), FINETUNE_STRONG,
     'train_dataloader.dataset.pipeline@RandomResize.ratio_range',
     'CaSP Sec. 4, Table 8'),
    ('PhotoMetricDistortion', WARMUP_STRONG,
     'train_dataloader.dataset.pipeline@PhotoMetricDistortion.type',
     'CaSP Sec. 4, Table 8'),
    ('PhotoMetricDistortion', FINETUNE_STRONG,
     'train_dataloader.dataset.pipeline@PhotoMetricDistortion.type',
     'CaSP Sec. 4, Table 8'),
    (True, WARMUP, 'train_dataloader.dataset.filter_cfg.filter_empty_gt',
     'CaSP Eq. 3'),
    # CaSP: optimiser (in the papers' supplement, not in our copies)
    ('SGD', FINETUNE, 'optim_wrapper.optimizer.type', NOT_STATED),
    (0.01, FINETUNE, 'optim_wrapper.optimizer.lr', NOT_STATED),
    (0.01, WARMUP, 'optim_wrapper.optimizer.lr', NOT_STATED),
    (2, FINETUNE, 'train_dataloader.batch_size', NOT_STATED + ', x8 GPUs'),
    (2, WARMUP, 'train_dataloader.batch_size', NOT_STATED + ', x8 GPUs'),
    (16, FINETUNE, 'auto_scale_lr.base_batch_size', NOT_STATED),
    ('AdamW', FINETUNE_SWIN, 'optim_wrapper.optimizer.type', NOT_STATED),
    (1e-4, FINETUNE_SWIN, 'optim_wrapper.optimizer.lr', NOT_STATED),
    (0.05, FINETUNE_SWIN, 'optim_wrapper.optimizer.weight_decay', NOT_STATED),
    (1e-4, WARMUP_SWIN, 'optim_wrapper.optimizer.lr', NOT_STATED),
    # DAP: the pipeline's CAM labeler and the finetune
    ([288, 576], DAP, 'casp.labeler.scales', 'DAP Sec. 4.1'),
    ('cam', DAP, 'casp.labeler.type', 'DAP Sec. 3.1 Step 2'),
    (1e-4, DAP_FINETUNE, 'optim_wrapper.optimizer.weight_decay',
     'DAP Sec. 4.1 (IN-1M)'),
    (12, DAP_FINETUNE, 'train_cfg.max_epochs', 'DAP Sec. 4.1 (90k it. = 1x)'),
    # DAP as the paper describes it: class-specific boxes of the image
    # labels, Faster R-CNN pretrained multi-scale from the classifier's
    # backbone, finetuned from all but the last layers
    (True, DAP_TOY, 'casp.pseudo.class_specific', 'DAP Sec. 3.1 Step 2'),
    (True, DAP_TOY, 'casp.labeler.init_backbone', 'DAP Sec. 3.1 Step 3'),
    ('FasterRCNN', DAP_PRETRAIN, 'model.type', 'DAP Sec. 3.2'),
    ([(1333, 96), (1333, 160), (1333, 320), (1333, 640)], DAP_PRETRAIN,
     'train_dataloader.dataset.pipeline@RandomChoiceResize.scales',
     'DAP Sec. 4.1'),
    ('torchvision://resnet50', DAP_PRETRAIN,
     'model.backbone.init_cfg.checkpoint',
     'DAP Sec. 4.1 (the IN-1M classifier is torchvision\'s)'),
    ('FasterRCNN', DAP_FINETUNE, 'model.type', 'DAP Sec. 3.2'),
    (['backbone', 'neck', 'rpn_head', 'roi_head'], DAP_FINETUNE,
     'model.init_cfg.parts', 'DAP Sec. 3.1 Step 4 (all but the last layers)'),
    (['backbone', 'neck', 'rpn_head', 'roi_head'], DAP_TOY,
     'casp.finetune.parts', 'DAP Sec. 3.1 Step 4 (all but the last layers)'),
    (0.02, DAP_FINETUNE, 'optim_wrapper.optimizer.lr', 'DAP Sec. 4.1'),
    ([8, 11], DAP_FINETUNE, 'param_scheduler.1.milestones',
     'DAP Sec. 4.1 (x0.1 at 60k and 80k of 90k it.)'),
    (True, DAP_FINETUNE, 'model.backbone.norm_eval', 'DAP Sec. 4.1'),
    (1, DAP_FINETUNE, 'model.backbone.frozen_stages', 'DAP Sec. 4.1'),
]

# DAP's CAM rules: defaults of CamPredictor (value, argument, section)
CAM_DEFAULTS = [
    ((288, 576), 'scales', 'DAP Sec. 4.1'),
    (True, 'flip', 'DAP Sec. 3.1, 4.1'),
    ((0.2, 0.3, 0.4, 0.5), 'thresholds', 'DAP Eq. 2, Sec. 4.1'),
    (0.5, 'min_ratio', 'DAP Sec. 3.1'),
    (0.8, 'nms_iou', 'DAP Sec. 4.1'),
    (0.0, 'min_score', 'DAP Sec. 3.1 (no score filter)'),
    (False, 'relu', 'DAP Eq. 1 (min-max of the raw CAM)'),
]

_CONFIGS = {}


def _config(path):
    if path not in _CONFIGS:
        _CONFIGS[path] = Config.fromfile(osp.join(REPO_ROOT, path))
    return _CONFIGS[path]


def _plain(value):
    """ConfigDict/list/tuple -> plain python, tuples as lists."""
    if hasattr(value, 'to_dict'):
        return {k: _plain(v) for k, v in value.to_dict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def lookup(cfg, key):
    """The value at ``key`` (dotted; ``path@Type.arg`` for a transform)."""
    path, _, transform = key.partition('@')
    value = cfg
    for part in path.split('.'):
        value = value[int(part)] if part.isdigit() else value[part]
    if transform:
        kind, arg = transform.split('.')
        steps = [t for t in value if t['type'] == kind]
        assert len(steps) == 1, f'{path}: {len(steps)} {kind} transforms'
        value = steps[0][arg]
    return value


def _ids(rows):
    return [f'{osp.basename(r[1])[:-3]}:{r[2]}' for r in rows]


@pytest.mark.parametrize('value,path,key,where', ROWS, ids=_ids(ROWS))
def test_config_holds_the_paper_value(value, path, key, where):
    got = lookup(_config(path), key)
    if isinstance(value, float):
        assert got == pytest.approx(value), f'{path} {key} ({where})'
    else:
        assert _plain(got) == _plain(value), f'{path} {key} ({where})'


@pytest.mark.parametrize(
    'value,arg,where', CAM_DEFAULTS, ids=[r[1] for r in CAM_DEFAULTS])
def test_cam_predictor_defaults_are_dap_values(value, arg, where):
    from mmcasp.pseudo_labels import CamPredictor
    default = inspect.signature(CamPredictor).parameters[arg].default
    assert _plain(default) == _plain(value), f'CamPredictor({arg}) ({where})'


@pytest.mark.parametrize('pipeline', [CASP, CASP_SWIN, CASP_STRONG])
def test_paper_pipelines_warm_up_5x_and_finetune_3x(pipeline):
    """The stage configs a paper-recipe pipeline names train 60 / 36 epochs
    (or the pipeline overrides them with those)."""
    casp = _config(pipeline).casp
    for stage, epochs in (('warmup', 60), ('finetune', 36)):
        stage_cfg = _config(casp[stage].config)
        got = casp[stage].get('epochs') or stage_cfg.train_cfg.max_epochs
        assert got == epochs, f'{pipeline}: {stage}'
    assert casp.get('baseline') is None  # the baseline is the same finetune


def _doc_rows():
    with open(osp.join(REPO_ROOT, 'docs', 'recipes.md')) as f:
        return [line for line in f if line.startswith('| ')]


def test_every_config_the_recipes_doc_names_exists():
    named = set()
    for row in _doc_rows():
        for token in re.findall(r'`([^`\s]+)`', row):
            if re.match(r'(configs|benchmarks|mmcasp|tools)/', token):
                named.add(token)
    assert len(named) >= 20
    missing = [
        p for p in sorted(named) if not osp.exists(osp.join(REPO_ROOT, p))
    ]
    assert not missing, missing


def test_every_checked_config_is_named_in_the_recipes_doc():
    with open(osp.join(REPO_ROOT, 'docs', 'recipes.md')) as f:
        doc = f.read()
    checked = {r[1] for r in ROWS}
    assert not sorted(p for p in checked if f'`{p}`' not in doc)
