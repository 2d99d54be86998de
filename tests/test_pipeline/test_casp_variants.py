# Copyright (c) mmcasp contributors. All rights reserved.
"""Pipeline variants of the benchmark: class-specific pseudo labels (the
papers' Objects(P,S) ablation) and PreDet pretraining as the warmup."""
import json
import os
import os.path as osp

import pytest

from mmcasp.pipeline import CaspPipeline, PipelineContext, PipelineError
from mmcasp.pseudo_labels import load_pseudo_labels
from tests.test_pipeline.test_casp import FAST, _casp

SPECIFIC = 'configs/condinst/condinst_r18w16_fpn_toy-12e_toy.py'
PREDET = 'configs/predet/predet_r18w16_fpn_toy-6e_toy.py'
PREDET_FAST = {
    'train_dataloader.batch_size': 4,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'default_hooks.logger.interval': 1,
}


@pytest.mark.slow
def test_class_specific_pseudo_labels(toy_root, tmp_path):
    casp = _casp(toy_root)
    # the finetune's settings: the labeler is the baseline's model
    casp['labeler'] = dict(
        config=SPECIFIC, epochs=1, cfg_options=casp['finetune']['cfg_options'])
    casp['warmup'] = dict(
        config=SPECIFIC,
        epochs=1,
        cfg_options=dict(FAST, **{'model.test_cfg.score_thr': 0.0}))
    casp['pseudo'].update(class_specific=True, delta=0.001)  # 1 epoch
    out = CaspPipeline(
        casp, str(tmp_path / 'cs'),
        name='t_cs').run(['labeler', 'pseudo', 'warmup'])
    pseudo = load_pseudo_labels(out['pseudo']['file'])
    labeled = json.load(
        open(osp.join(toy_root, 'annotations', 'instances_labeled.json')))
    assert pseudo['categories'] == [
        dict(c, supercategory=c.get('supercategory', ''))
        for c in labeled['categories']
    ]
    ids = {c['id'] for c in labeled['categories']}
    assert {a['category_id'] for a in pseudo['annotations']} <= ids
    assert pseudo['info']['class_specific'] is True
    # class-specific and class-agnostic AP of the labeler and the warmup
    for stage in ('labeler', 'warmup'):
        assert 'coco/bbox_mAP' in out[stage]['metrics'], stage
        assert 'agnostic/bbox_mAP' in out[stage]['metrics'], stage
    # the labeler has the baseline's settings: it is the baseline's model
    # (its checkpoint linked into the labeler's folder, not trained again)
    assert out['labeler']['same_as'] == 'baseline'
    assert out['labeler']['description'].endswith("= the baseline's model")
    base = json.load(open(tmp_path / 'cs' / 'baseline' / 'done.json'))
    assert out['labeler']['baseline_checkpoint'] == base['checkpoint']
    assert out['labeler']['checkpoint'] == str(tmp_path / 'cs' / 'labeler' /
                                               'epoch_1.pth')
    assert osp.samefile(out['labeler']['checkpoint'], base['checkpoint'])
    assert out['labeler']['metrics'] == base['metrics']
    assert not osp.exists(tmp_path / 'cs' / 'labeler' / 'vis_data')


def _fake_train(calls, tmp_path):
    """A stand-in for :meth:`PipelineContext.train`: records the stage and
    returns a record with a checkpoint file, training nothing."""

    def train(self, stage, cfg):
        calls.append(stage)
        ckpt = tmp_path / f'{stage}_{len(calls)}.pth'
        ckpt.write_text('weights')
        config = tmp_path / f'{stage}.py'
        config.write_text('# the dumped config')
        return dict(
            checkpoint=str(ckpt),
            config=str(config),
            metrics={'agnostic/bbox_mAP': 0.5},
            wall_s=1.0)

    return train


def test_a_labeler_with_the_baselines_settings_is_trained_once(
        toy_root, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(PipelineContext, 'train', _fake_train(calls, tmp_path))
    casp = _casp(toy_root)
    casp['pseudo']['class_specific'] = True
    casp['labeler'] = {
        k: casp['finetune'][k]
        for k in ('config', 'epochs', 'cfg_options')
    }
    pipe = CaspPipeline(casp, str(tmp_path / 'same'))
    assert pipe.labeler_is_baseline
    lab = pipe.run(['labeler'])['labeler']
    assert calls == ['baseline']
    assert lab['same_as'] == 'baseline' and lab['wall_s'] == 0.0
    base = pipe.run(['baseline'])['baseline']  # done: not trained again
    assert calls == ['baseline']
    assert lab['baseline_checkpoint'] == base['checkpoint']
    assert lab['metrics'] == base['metrics']
    # the labeler keeps its own link: deleting the baseline leaves it done
    assert open(lab['checkpoint']).read() == 'weights'
    os.remove(base['checkpoint'])
    assert pipe.records.get('labeler') is not None
    # another epoch count: another model, trained as the labeler
    casp['labeler']['epochs'] = 2
    pipe = CaspPipeline(casp, str(tmp_path / 'other'))
    assert not pipe.labeler_is_baseline
    pipe.run(['labeler'])
    assert calls == ['baseline', 'labeler']


@pytest.mark.slow
def test_predet_as_the_warmup(toy_root, tmp_path):
    casp = _casp(toy_root)
    casp['labeler'] = dict(type='none')
    casp['warmup'] = dict(config=PREDET, epochs=1, cfg_options=PREDET_FAST)
    casp['finetune']['parts'] = ['backbone', 'neck']
    casp['method'] = 'PreDet'
    out = CaspPipeline(casp, str(tmp_path / 'pd'), name='t_pd').run()
    assert out['pseudo']['kind'] == 'none'
    assert osp.isfile(out['warmup']['checkpoint'])
    assert out['warmup']['metrics'] == {}
    assert 'coco/bbox_mAP' in out['finetune']['metrics']
    md = open(out['evaluate']['report']['md']).read()
    assert 'PreDet (warmup -> finetune)' in md
    assert 'pretraining without pseudo labels' in md


def test_variant_misconfigurations_stop_early(toy_root, tmp_path):
    casp = _casp(toy_root)
    casp['labeler'] = dict(type='none')  # but a box-trained warmup
    with pytest.raises(PipelineError, match="labeler.type='none'"):
        CaspPipeline(casp, str(tmp_path / 'a')).run()
    casp = _casp(toy_root)
    casp['warmup'] = dict(config=PREDET, epochs=1)  # but a detector labeler
    with pytest.raises(PipelineError, match='images alone'):
        CaspPipeline(casp, str(tmp_path / 'b')).run()
    casp = _casp(toy_root)
    casp['labeler'] = dict(type='cam')
    casp['warmup']['config'] = 'configs/fcos/' \
        'fcos-ca_r18w16_fpn_toy-12e_toy-objects.py'
    casp['pseudo']['class_specific'] = True
    with pytest.raises(PipelineError, match='class_specific'):
        CaspPipeline(casp, str(tmp_path / 'c')).run()
