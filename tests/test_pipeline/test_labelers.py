# Copyright (c) mmcasp contributors. All rights reserved.
"""The pipeline's labelers as registered components: a labeler registered
outside mmcasp (through a config's custom_imports), any trained mmdet
detector as the labeler (``'checkpoint'``), and self-training rounds
(``rounds=2``), on tiny toy data (1 epoch per stage)."""
import copy
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmcasp.datasets import collect_images
from mmcasp.pipeline import (CaspPipeline, PipelineError, prepare_casp,
                             results_rows)
from mmcasp.pseudo_labels import load_pseudo_labels
from mmcasp.registry import LABELERS
from mmcasp.utils import load_config
from tests._fixed_labelers import (CORNER_MODULE, fixed_condinst_options,
                                   write_corner_labelers)
from tests._helpers import (REPO_ROOT, pythonpath, subprocess_env,
                            toy_cfg_options)
from tests.test_pipeline.test_casp import FAST, _casp

SPECIFIC = 'configs/condinst/condinst_r18w16_fpn_toy-12e_toy.py'
FCOS_CA = 'configs/fcos/fcos-ca_r18w16_fpn_toy-12e_toy-objects.py'
PREDET = 'configs/predet/predet_r18w16_fpn_toy-6e_toy.py'
# a stock mmdet Mask R-CNN (mmdet's model config, toy sized); its
# CaSPTransfer init is switched off with model.init_cfg=None
MASK_RCNN = 'configs/transfer/mask-rcnn-casp_r18w16_fpn_toy-12e_toy.py'


def _abs(path):
    return osp.join(REPO_ROOT, path)


def _pipe_config(tmp_path):
    """A pipeline config whose labeler is registered by its
    custom_imports; data paths relative to a --data-root."""
    casp = dict(
        data=dict(
            labeled=dict(
                ann='annotations/instances_labeled.json',
                img='images/labeled'),
            unlabeled=dict(
                ann='annotations/unlabeled.json', img='images/unlabeled'),
            val=dict(ann='annotations/instances_val.json', img='images/val')),
        labeler=dict(type='CornerBoxLabeler', score=0.9),
        pseudo=dict(batch_size=4, num_workers=0),
        warmup=dict(config=_abs(FCOS_CA), epochs=1),
        finetune=dict(config=_abs(SPECIFIC), epochs=1))
    path = tmp_path / 'pipe.py'
    path.write_text(f'custom_imports = dict(imports=[{CORNER_MODULE!r}], '
                    'allow_failed_imports=False)\n'
                    f'casp = {casp!r}\n')
    return str(path)


@pytest.fixture
def my_labelers(tmp_path, monkeypatch):
    """``my_labelers.py`` (``CornerBoxLabeler``, see
    tests/_fixed_labelers.py) in ``tmp_path`` (on sys.path); what it
    registers is gone after the test."""
    monkeypatch.syspath_prepend(write_corner_labelers(tmp_path))
    yield str(tmp_path)
    sys.modules.pop(CORNER_MODULE, None)
    LABELERS._module_dict.pop('CornerBoxLabeler', None)


def _check_corner_labels(pseudo, n_images):
    assert pseudo['categories'] == [
        dict(id=1, name='object', supercategory='object')
    ]
    assert len(pseudo['images']) == n_images  # every image kept
    by_image = {}
    for ann in pseudo['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    for img in pseudo['images']:
        anns = by_image.get(img['id'], [])
        assert len(anns) == 1, img
        w, h = img['width'], img['height']
        assert anns[0]['bbox'] == [0, 0, round(w / 2, 2), round(h / 2, 2)]
        assert anns[0]['score'] == 0.9 and anns[0]['category_id'] == 1
    assert len(pseudo['annotations']) == n_images


def test_a_labeler_registered_outside_mmcasp(my_labelers, toy_root, tmp_path):
    cfg_file = _pipe_config(tmp_path)
    work = str(tmp_path / 'api')
    cfg = load_config(cfg_file)  # mmengine imports my_labelers
    assert 'CornerBoxLabeler' in LABELERS.module_dict
    casp = prepare_casp(cfg, work, toy_root)
    pipe = CaspPipeline(casp, work, name='t_corner')
    out = pipe.run(['labeler', 'pseudo'])
    assert out['labeler']['kind'] == 'CornerBoxLabeler'
    assert out['labeler']['description'] == 'labeler (corner boxes)'
    assert out['labeler']['method'] == 'corners'

    n = len(
        collect_images(
            osp.join(toy_root, 'annotations', 'unlabeled.json'),
            osp.join(toy_root, 'images', 'unlabeled'))[0])
    assert n > 0
    pseudo = load_pseudo_labels(out['pseudo']['file'])
    _check_corner_labels(pseudo, n)
    assert pseudo['info']['labeler'] == 'corner boxes'
    assert pseudo['info']['score'] == 0.9
    assert out['pseudo']['stats']['images_kept'] == n
    assert out['pseudo']['stats']['labels'] == n
    # its settings are its __init__ arguments: unknown ones are refused
    bad = copy.deepcopy(casp)
    bad['labeler']['scroe'] = 0.5
    with pytest.raises(PipelineError, match="did you mean 'score'"):
        CaspPipeline(bad, str(tmp_path / 'bad'))

    # the same through the CLI, which imports my_labelers in its own process
    cli_work = str(tmp_path / 'cli')
    proc = subprocess.run(
        [
            sys.executable,
            osp.join(REPO_ROOT, 'tools', 'casp.py'), cfg_file, '--work-dir',
            cli_work, '--data-root', toy_root, '--stages', 'labeler', 'pseudo'
        ],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        env=subprocess_env(PYTHONPATH=pythonpath(my_labelers)),
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    cli_pseudo = load_pseudo_labels(
        osp.join(cli_work, 'pseudo', 'pseudo_labels'))
    _check_corner_labels(cli_pseudo, n)
    assert cli_pseudo['annotations'] == pseudo['annotations']
    done = json.load(open(osp.join(cli_work, 'labeler', 'done.json')))
    assert done['kind'] == 'CornerBoxLabeler'


def _train_mask_rcnn(toy_root, work_dir):
    """tools/train.py: a class-specific Mask R-CNN, 1 epoch on the toy
    data; returns its dumped config (with the overrides) and checkpoint."""
    opts = toy_cfg_options(
        toy_root, epochs=1) + [
            'model.init_cfg=None',
            # a 1-epoch model: let its low scores through
            'model.test_cfg.rcnn.score_thr=0.0',
        ]
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        _abs(MASK_RCNN), '--work-dir', work_dir, '--cfg-options', *opts
    ],
                          capture_output=True,
                          text=True,
                          cwd=work_dir,
                          env=subprocess_env(),
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    cfg = osp.join(work_dir, osp.basename(MASK_RCNN))
    assert osp.isfile(ckpt) and osp.isfile(cfg)
    return cfg, ckpt


def _row(out, name):
    rows = results_rows(out, {})
    return [r for r in rows if r['method'] == name]


@pytest.mark.slow
def test_any_mmdet_detector_as_the_labeler(toy_root, tmp_path):
    det_dir = tmp_path / 'mask_rcnn'
    det_dir.mkdir()
    cfg, ckpt = _train_mask_rcnn(toy_root, str(det_dir))
    labeled = json.load(
        open(osp.join(toy_root, 'annotations', 'instances_labeled.json')))

    # (a) class-agnostic (default): one "object" category
    casp = _casp(toy_root)
    casp['labeler'] = dict(type='checkpoint', config=cfg, checkpoint=ckpt)
    casp['pseudo']['delta'] = 0.001
    # a 1-epoch warmup: let its low scores through, for its val AP
    casp['warmup']['cfg_options'] = dict(FAST,
                                         **{'model.test_cfg.score_thr': 0.0})
    out = CaspPipeline(
        casp, str(tmp_path / 'ca'),
        name='t_ckpt_ca').run(['labeler', 'pseudo', 'warmup'])
    rec = out['labeler']
    assert rec['kind'] == 'checkpoint'
    assert rec['checkpoint'] == ckpt and rec['config'] == cfg
    assert rec['metrics'] == {}  # nothing trained
    assert not osp.isfile(
        osp.join(str(tmp_path / 'ca'), 'labeler', 'epoch_1.pth'))
    pseudo = load_pseudo_labels(out['pseudo']['file'])
    assert pseudo['categories'] == [
        dict(id=1, name='object', supercategory='object')
    ]
    assert pseudo['annotations']
    assert {a['category_id'] for a in pseudo['annotations']} == {1}
    # Mask R-CNN's masks come with its labels (the warmup trains on them)
    assert all('segmentation' in a for a in pseudo['annotations'])
    assert pseudo['info']['labeler'] == 'checkpoint'
    assert pseudo['info']['checkpoint'] == ckpt
    assert pseudo['info']['class_specific'] is False
    assert osp.isfile(out['warmup']['checkpoint'])
    assert 'agnostic/bbox_mAP' in out['warmup']['metrics']
    assert _row(out, 'labeler (given detector, class-agnostic)')
    assert _row(out, 'warmup on pseudo labels (class-agnostic)')

    # (b) class-specific: the detector's classes, as the labeled split's
    # categories, and a class-specific warmup
    casp = copy.deepcopy(casp)
    casp['pseudo']['class_specific'] = True
    casp['warmup'] = dict(
        config=SPECIFIC,
        epochs=1,
        cfg_options=dict(FAST, **{'model.test_cfg.score_thr': 0.0}))
    out = CaspPipeline(
        casp, str(tmp_path / 'cs'),
        name='t_ckpt_cs').run(['labeler', 'pseudo', 'warmup'])
    assert out['labeler']['kind'] == 'checkpoint'
    pseudo = load_pseudo_labels(out['pseudo']['file'])
    assert pseudo['categories'] == [
        dict(c, supercategory=c.get('supercategory', ''))
        for c in labeled['categories']
    ]
    ids = {c['id'] for c in labeled['categories']}
    assert pseudo['annotations']
    assert {a['category_id'] for a in pseudo['annotations']} <= ids
    assert pseudo['info']['class_specific'] is True
    assert 'coco/bbox_mAP' in out['warmup']['metrics']
    assert _row(out, 'labeler (given detector, class-specific)')
    assert _row(out, 'warmup on pseudo labels (class-specific)')


def test_a_missing_labeler_checkpoint_stops_before_training(
        toy_root, tmp_path):
    casp = _casp(toy_root)
    casp['labeler'] = dict(
        type='checkpoint',
        config=SPECIFIC,
        checkpoint=str(tmp_path / 'nowhere' / 'epoch_12.pth'))
    work = tmp_path / 'w'
    with pytest.raises(PipelineError, match='labeler.checkpoint') as e:
        CaspPipeline(casp, str(work)).run()
    assert 'does not exist' in str(e.value)
    assert not work.exists() or not os.listdir(str(work))
    # both keys are needed
    casp['labeler'] = dict(type='checkpoint', config=SPECIFIC)
    with pytest.raises(PipelineError, match='labeler.checkpoint: missing'):
        CaspPipeline(casp, str(work))


def _log_text(stage_dir):
    return ''.join(
        open(osp.join(dp, f)).read() for dp, _, fs in os.walk(stage_dir)
        for f in fs if f.endswith('.log'))


@pytest.mark.slow
def test_two_self_training_rounds(toy_root, tmp_path):
    casp = _casp(toy_root)
    casp['rounds'] = 2
    # round 2 is labeled by the 1-epoch warmup: its box head's outputs
    # fixed by construction (as the labeler's, see _casp), so that round 2
    # has labels on any machine
    casp['warmup']['cfg_options'] = dict(FAST,
                                         **{'model.test_cfg.score_thr': 0.0},
                                         **fixed_condinst_options())
    work = str(tmp_path / 'r2')
    out = CaspPipeline(casp, work, name='t_rounds').run()
    assert list(out) == [
        'labeler', 'pseudo', 'warmup', 'pseudo_round2', 'warmup_round2',
        'finetune', 'baseline', 'evaluate'
    ]
    for stage in ('pseudo_round2', 'warmup_round2'):
        assert osp.isfile(osp.join(work, stage, 'done.json')), stage
    assert out['pseudo_round2']['round'] == 2
    assert out['warmup_round2']['checkpoint'] == osp.join(
        work, 'warmup_round2', 'epoch_1.pth')

    # round 2 is labeled with round 1's warmed-up model
    first = load_pseudo_labels(out['pseudo']['file'])
    second = load_pseudo_labels(out['pseudo_round2']['file'])
    assert first['info']['checkpoint'] == out['labeler']['checkpoint']
    assert second['info']['labeler'] == 'checkpoint'
    assert second['info']['checkpoint'] == out['warmup']['checkpoint']
    assert second['info']['checkpoint'] == osp.join(work, 'warmup',
                                                    'epoch_1.pth')
    assert second['annotations']
    # the round-2 warmup trained on round 2's labels
    cfg = json.dumps(
        load_config(out['warmup_round2']['config']).to_dict(), default=str)
    assert out['pseudo_round2']['file'] in cfg

    # the finetune starts from the last round's warmup
    ft_log = _log_text(osp.join(work, 'finetune'))
    assert 'CaSPTransfer from ' + osp.join(work, 'warmup_round2',
                                           'epoch_1.pth') in ft_log

    md = open(out['evaluate']['report']['md']).read()
    for row in ('| pseudo labels |', '| pseudo labels (round 2) |',
                '| warmup on pseudo labels (class-agnostic) |',
                '| warmup on pseudo labels (class-agnostic) (round 2) |',
                '| CaSP (warmup -> finetune) |'):
        assert row in md, row


def test_a_later_rounds_labeler_carries_the_warmups_metrics(
        toy_root, tmp_path):
    """Round 2's labeler is round 1's warmed-up model, with that model's
    val metrics (which the empty-labeler check reads)."""
    casp = _casp(toy_root)
    casp['rounds'] = 2
    pipe = CaspPipeline(casp, str(tmp_path / 'r2'))
    ckpt = tmp_path / 'warmup.pth'
    ckpt.write_text('weights')
    metrics = {'agnostic/bbox_mAP': 0.0}
    pipe.records.write(
        'warmup',
        dict(
            checkpoint=str(ckpt),
            config=casp['warmup']['config'],
            metrics=metrics),
        with_settings=False)
    labeler, rec = pipe.ctx.round_labeler(2)
    assert labeler.checkpoint == str(ckpt)
    assert rec['metrics'] == metrics


def test_rounds_need_a_labeling_warmup(toy_root, tmp_path):
    casp = _casp(toy_root)
    casp['rounds'] = 2
    casp['labeler'] = dict(type='none')
    casp['warmup'] = dict(config=PREDET, epochs=1)
    casp['finetune']['parts'] = ['backbone', 'neck']
    work = tmp_path / 'w'
    with pytest.raises(PipelineError, match='rounds') as e:
        CaspPipeline(casp, str(work)).run()
    assert 'rounds=2' in str(e.value)
    assert not work.exists() or not os.listdir(str(work))
    # rounds=1 with the same settings is fine up to its checks
    casp['rounds'] = 1
    CaspPipeline(casp, str(work)).validate()
