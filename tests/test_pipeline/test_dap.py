# Copyright (c) mmcasp contributors. All rights reserved.
"""DAP as the paper describes it through the pipeline: image-level labels
of the unlabeled split, class-specific CAM boxes, the classifier trained by
the labeler stage and its backbone in the warmup and the baseline."""
import glob
import json
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmcasp.pipeline import CaspPipeline, PipelineError
from mmcasp.pipeline.stage_configs import with_data
from mmcasp.pseudo_labels import load_pseudo_labels
from tests.test_pipeline.test_casp import FAST, _casp

CLASSIFIER = 'configs/classifier/image-cls_r18w16_gap_toy-30e_toy-labels.py'
FRCNN = 'configs/faster_rcnn/faster-rcnn_r18w16_fpn_toy-12e_toy.py'
FRCNN_MS = 'configs/faster_rcnn/faster-rcnn_r18w16_fpn_ms-toy-12e_toy.py'
PREDET_LABELS = 'configs/predet/predet_r18w16_fpn_toy-6e_toy-labels.py'


def _dap(toy_root, **labeler):
    casp = _casp(toy_root)
    ann = osp.join(toy_root, 'annotations')
    casp['data']['unlabeled']['image_labels'] = osp.join(
        ann, 'instances_unlabeled.json')
    casp['labeler'] = dict(
        type='cam', classifier_config=CLASSIFIER, scales=[128], **labeler)
    casp['pseudo'] = dict(class_specific=True, num_workers=0)
    casp['warmup'] = dict(config=FRCNN_MS)
    casp['finetune'] = dict(
        config=FRCNN, parts=['backbone', 'neck', 'rpn_head', 'roi_head'])
    return casp


def _classifier_checkpoint(tmp_path):
    """An (untrained) toy classifier saved as a Runner checkpoint would
    be."""
    import torch

    from mmcasp.utils.build import build_model
    torch.manual_seed(0)
    model = build_model(
        Config.fromfile(CLASSIFIER).model, 'mmcasp', init_weights=False)
    ckpt = str(tmp_path / 'cls.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return ckpt


def _problems(casp, tmp_path):
    with pytest.raises(PipelineError) as e:
        CaspPipeline(casp, str(tmp_path / 'w')).validate()
    return str(e.value)


def test_dap_settings_validate(toy_root, tmp_path):
    CaspPipeline(_dap(toy_root), str(tmp_path / 'w')).validate()


def test_class_specific_cam_boxes_need_image_labels(toy_root, tmp_path):
    casp = _dap(toy_root)
    del casp['data']['unlabeled']['image_labels']
    msg = _problems(casp, tmp_path)
    assert 'pseudo.class_specific: class-specific CAM boxes need' in msg
    # and the classifier of Step 1 has nothing to learn from
    assert 'labeler.classifier_config' in msg and 'image-level labels' in msg


def test_image_labels_are_the_unlabeled_split_s(toy_root, tmp_path):
    casp = _dap(toy_root)
    casp['data']['labeled']['image_labels'] = casp['data']['unlabeled'][
        'image_labels']
    assert 'data.labeled.image_labels: only the unlabeled' in _problems(
        casp, tmp_path)
    casp = _dap(toy_root)
    casp['data']['unlabeled']['image_labels'] = '/nowhere/labels.json'
    assert 'data.unlabeled.image_labels: /nowhere/labels.json does not ' \
        'exist' in _problems(casp, tmp_path)


def test_backbone_from_the_classifier_for_warmup_and_baseline(
        toy_root, tmp_path):
    pipe = CaspPipeline(_dap(toy_root), str(tmp_path / 'w'))
    # before the labeler stage the classifier does not exist yet
    with pytest.raises(PipelineError, match='run the labeler stage first'):
        pipe.labeler.stage_overrides(pipe.ctx, None, 'warmup')
    ckpt = _classifier_checkpoint(tmp_path)
    rec = dict(classifier_checkpoint=ckpt)
    init = dict(type='Pretrained', checkpoint=ckpt, prefix='backbone.')
    for stage in ('warmup', 'baseline'):
        assert pipe.labeler.stage_overrides(pipe.ctx, rec, stage) == {
            'model.backbone.init_cfg': init
        }
    # the finetune starts from the warmed-up detector, later rounds too
    for stage in ('finetune', 'warmup_round2'):
        assert pipe.labeler.stage_overrides(pipe.ctx, rec, stage) == {}
    off = CaspPipeline(
        _dap(toy_root, init_backbone=False), str(tmp_path / 'w2'))
    assert off.labeler.stage_overrides(off.ctx, rec, 'warmup') == {}
    # the ImageNet classifier (no checkpoint): nothing to load
    none = _casp(toy_root)
    none['labeler'] = dict(type='cam')
    none['warmup'] = dict(config=FRCNN_MS)
    pipe = CaspPipeline(none, str(tmp_path / 'w3'))
    assert pipe.labeler.stage_overrides(pipe.ctx, None, 'warmup') == {}


def test_the_baseline_config_carries_the_backbone_init(toy_root, tmp_path):
    pipe = CaspPipeline(_dap(toy_root), str(tmp_path / 'w'))
    ckpt = _classifier_checkpoint(tmp_path)
    pipe.records.write(
        'labeler',
        dict(
            classifier_config=CLASSIFIER,
            classifier_checkpoint=ckpt,
            wall_s=0.0))
    cfg = pipe.ctx.stage_config(
        'baseline', pipe.settings.baseline or pipe.settings.finetune,
        pipe.ctx.split('labeled'), True)
    assert cfg.model.backbone.init_cfg.to_dict() == dict(
        type='Pretrained', checkpoint=ckpt, prefix='backbone.')


def test_image_labels_reach_an_image_level_dataset(toy_root):
    cfg = Config.fromfile(PREDET_LABELS)
    ann = osp.join(toy_root, 'annotations')
    split = dict(
        ann=osp.join(ann, 'unlabeled.json'),
        img=osp.join(toy_root, 'images', 'unlabeled'),
        image_labels=osp.join(ann, 'instances_unlabeled.json'))
    ds = with_data(cfg, split, None).train_dataloader.dataset
    assert ds.ann_file == split['ann']
    assert ds.labels_file == split['image_labels']


def test_a_warmup_on_image_labels_needs_them(toy_root, tmp_path):
    casp = _casp(toy_root)
    casp['labeler'] = dict(type='none')
    casp['warmup'] = dict(config=PREDET_LABELS)
    casp['finetune']['parts'] = ['backbone', 'neck']
    assert 'warmup.config learns from image-level labels' in _problems(
        casp, tmp_path)
    casp['data']['unlabeled']['image_labels'] = osp.join(
        toy_root, 'annotations', 'instances_unlabeled.json')
    CaspPipeline(casp, str(tmp_path / 'w2')).validate()


def test_unknown_finetune_parts_stop_before_training(toy_root, tmp_path):
    casp = _dap(toy_root)
    casp['finetune']['parts'] = ['backbone', 'neck', 'rpn_haed', 'classifier']
    msg = _problems(casp, tmp_path)
    assert ("finetune.parts: unknown part 'rpn_haed'; "
            "did you mean 'rpn_head'?") in msg
    assert 'finetune.parts: the classifier init is finetune.classifier' in msg


@pytest.mark.slow
def test_dap_end_to_end(toy_root, tmp_path):
    """Step 1 trains the classifier, Step 2 makes class-specific boxes of
    the image labels, Step 3 warms up a Faster R-CNN whose backbone starts
    from the classifier, Step 4 transfers all but the last layers."""
    train_only = {k: v for k, v in FAST.items() if k.startswith('train_')}
    casp = _dap(
        toy_root, classifier_epochs=1, classifier_cfg_options=train_only)
    # an untrained classifier's CAMs are noise: keep whatever they give
    casp['labeler']['thresholds'] = [0.2]
    casp['warmup'].update(epochs=1, cfg_options=FAST)
    casp['finetune'].update(epochs=1, cfg_options=FAST)
    out = CaspPipeline(
        casp, str(tmp_path / 'dap'),
        name='t_dap').run(['labeler', 'pseudo', 'warmup', 'finetune'])
    ckpt = out['labeler']['classifier_checkpoint']
    assert osp.isfile(ckpt)
    pseudo = load_pseudo_labels(out['pseudo']['file'])
    toy = json.load(
        open(osp.join(toy_root, 'annotations', 'instances_unlabeled.json')))
    # class-specific: the image-label file's categories ...
    assert [c['name'] for c in pseudo['categories']
            ] == [c['name'] for c in toy['categories']]
    assert pseudo['annotations']
    # ... and each image's boxes are of its labeled classes only
    by_name = {i['file_name']: i['id'] for i in toy['images']}
    present = {}
    for a in toy['annotations']:
        present.setdefault(a['image_id'], set()).add(a['category_id'])
    names = {i['id']: i['file_name'] for i in pseudo['images']}
    for a in pseudo['annotations']:
        assert a['category_id'] in present[by_name[names[a['image_id']]]]
    warmup = Config.fromfile(out['warmup']['config'])
    assert warmup.model.type == 'FasterRCNN'
    assert warmup.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint=ckpt, prefix='backbone.')
    assert 'coco/bbox_mAP' in out['warmup']['metrics']
    log = open(
        glob.glob(osp.join(tmp_path, 'dap', 'finetune', '*',
                           '*.log'))[0]).read()
    # all but the last layers: RPN and RoI head loaded, fc_cls/fc_reg fresh
    assert 'transfer into two_stage' in log
    assert re.search(r'\| rpn_head +\| yes +\| 6 ', log), log[-3000:]
    assert re.search(r'\| roi_head +\| yes +\| 4 ', log), log[-3000:]


def test_the_baseline_depends_on_the_classifier_it_starts_from(toy_root):
    from mmcasp.pipeline import stage_dependencies
    dap = _dap(toy_root)
    assert stage_dependencies(dap)['baseline']['labeler'] == dict(
        type='cam', classifier_config=CLASSIFIER)
    # without a classifier of its own (ImageNet default) or without the
    # backbone init, the baseline is the labeler-free one (shared by all
    # methods of a benchmark seed)
    for labeler in (dict(type='cam'),
                    dict(dap['labeler'],
                         init_backbone=False), _casp(toy_root)['labeler']):
        casp = dict(dap, labeler=labeler)
        assert 'labeler' not in stage_dependencies(casp)['baseline']


def _weak_labels(toy_root, tmp_path, rename=lambda name: name):
    """The toy unlabeled split's labels as a real weak-label file: image
    ids and categories only, no boxes."""
    full = json.load(
        open(osp.join(toy_root, 'annotations', 'instances_unlabeled.json')))
    weak = dict(
        images=[
            dict(i, file_name=rename(i['file_name'])) for i in full['images']
        ],
        categories=full['categories'],
        annotations=[
            dict(
                id=a['id'],
                image_id=a['image_id'],
                category_id=a['category_id']) for a in full['annotations']
        ])
    path = tmp_path / 'weak.json'
    path.write_text(json.dumps(weak))
    return str(path)


def test_image_labels_need_no_boxes_but_matching_file_names(
        toy_root, tmp_path):
    casp = _dap(toy_root)
    casp['data']['unlabeled']['image_labels'] = _weak_labels(
        toy_root, tmp_path)
    CaspPipeline(casp, str(tmp_path / 'w')).validate()
    # other folder prefixes: no image has a label, said before training
    casp['data']['unlabeled']['image_labels'] = _weak_labels(
        toy_root, tmp_path, lambda n: 'train2017/' + n)
    assert 'none of its 8 file names is one of the 8 unlabeled images' in \
        _problems(casp, tmp_path)


def test_cam_rules_are_not_what_the_classifier_depends_on(toy_root):
    from mmcasp.pipeline import stage_dependencies
    a = _dap(toy_root)
    b = _dap(toy_root, thresholds=[0.3])
    sa, sb = stage_dependencies(a), stage_dependencies(b)
    # tuning tau reuses the trained classifier and the CLS baseline ...
    assert sa['labeler'] == sb['labeler']
    assert sa['baseline'] == sb['baseline']
    # ... and relabels
    assert sa['pseudo'] != sb['pseudo']
    # the rules' defaults are part of the settings: runs made when a
    # default was another value are not taken for runs made with this one
    assert sa['pseudo']['labeler']['relu'] is False
    assert sa['pseudo']['labeler']['thresholds'] == (0.2, 0.3, 0.4, 0.5)


def test_the_classifier_backbone_must_fit_the_detector_s(toy_root, tmp_path):
    """mmengine's Pretrained init loads non-strictly: a classifier whose
    backbone is not the detector's would leave it random, silently."""
    from mmcasp.pipeline.labelers.cam_labeler import backbone_mismatch
    ckpt = _classifier_checkpoint(tmp_path)
    assert backbone_mismatch(ckpt, Config.fromfile(FRCNN_MS)) == []
    effl0 = Config.fromfile(
        'configs/condinst/condinst-ca_effl0_fpn_toy-12e_toy-objects.py')
    problems = backbone_mismatch(ckpt, effl0)
    assert len(problems) == 1 and problems[0].startswith('none of the')
    # the pipeline stops before the warmup trains from a random backbone
    casp = _dap(toy_root)
    casp['warmup']['config'] = \
        'configs/condinst/condinst-ca_effl0_fpn_toy-12e_toy-objects.py'
    pipe = CaspPipeline(casp, str(tmp_path / 'w'))
    with pytest.raises(PipelineError, match='does not fit the warmup'):
        pipe.labeler.stage_overrides(pipe.ctx,
                                     dict(classifier_checkpoint=ckpt),
                                     'warmup')


def test_class_specific_boxes_need_a_warmup_with_those_classes(
        toy_root, tmp_path):
    casp = _dap(toy_root)
    # the 80 COCO classes of mmdet's CocoDataset are not the toy's six
    casp['warmup']['config'] = \
        'configs/faster_rcnn/faster-rcnn_r50_fpn_dap-ms-1x_coco.py'
    msg = _problems(casp, tmp_path)
    assert "warmup.config: it trains on the classes ['person'" in msg
    assert "data.unlabeled.image_labels ['disk', 'ring'" in msg


def test_the_report_says_what_the_baseline_starts_from():
    from mmcasp.pipeline import results_rows
    rec = dict(metrics={'coco/bbox_mAP': 0.1}, wall_s=1.0)
    names = [
        r['method'] for r in results_rows(
            dict(baseline=dict(rec, init="the labeler's backbone")), {})
    ]
    assert names == ["baseline (the labeler's backbone)"]
    assert [r['method'] for r in results_rows(dict(baseline=rec), {})
            ] == ['baseline (plain init)']


def test_missing_classifier_files_stop_before_training(toy_root, tmp_path):
    casp = _dap(toy_root, classifier_checkpoint=str(tmp_path / 'nope.pth'))
    casp['labeler']['classifier_config'] = 'configs/classifier/nope.py'
    msg = _problems(casp, tmp_path)
    assert f"labeler.classifier_checkpoint: {tmp_path / 'nope.pth'} does " \
        'not exist' in msg
    assert 'labeler.classifier_config: config configs/classifier/nope.py ' \
        'not found' in msg
