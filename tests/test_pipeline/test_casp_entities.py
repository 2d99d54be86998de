# Copyright (c) mmcasp contributors. All rights reserved.
"""CA-SSL's entities (things + stuff) through the pipeline: labeler and
warmup learn the toy panoptic data's entities and are scored with AP^e;
the finetune stays class-specific."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmcasp.pipeline import CaspPipeline, PipelineError, results_rows
from mmcasp.pseudo_labels import load_pseudo_labels
from tests.test_pipeline.test_casp import FAST, _casp

ENTITIES = 'configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-entities.py'


def _entities_casp(toy_root):
    casp = _casp(toy_root)
    ann = osp.join(toy_root, 'annotations')
    casp['data']['labeled']['entities'] = osp.join(ann,
                                                   'entities_labeled.json')
    casp['data']['val']['entities'] = osp.join(ann, 'entities_val.json')
    casp['pretrain_on'] = 'entities'
    casp['labeler']['config'] = ENTITIES
    casp['warmup'] = dict(
        config=ENTITIES,
        epochs=1,
        cfg_options=dict(FAST, **{'model.test_cfg.score_thr': 0.0}))
    return casp


@pytest.mark.slow
def test_entities_end_to_end(toy_root, tmp_path):
    casp = _entities_casp(toy_root)
    out = CaspPipeline(
        casp, str(tmp_path / 'e'),
        name='t_ent').run(['labeler', 'pseudo', 'warmup'])
    ann = osp.join(toy_root, 'annotations')
    for stage in ('labeler', 'warmup'):
        cfg = Config.fromfile(out[stage]['config'])
        # validated on the val entities, scored as AP^e
        assert cfg.val_dataloader.dataset.ann_file == osp.join(
            ann, 'entities_val.json')
        assert cfg.val_evaluator[0]['prefix'] == 'entity'
        assert 'entity/bbox_mAP' in out[stage]['metrics'], stage
        assert not any(
            k.startswith('agnostic/') for k in out[stage]['metrics'])
    labeler_cfg = Config.fromfile(out['labeler']['config'])
    assert labeler_cfg.train_dataloader.dataset.ann_file == osp.join(
        ann, 'entities_labeled.json')
    pseudo = load_pseudo_labels(out['pseudo']['file'])
    assert pseudo['categories'] == [
        dict(id=1, name='entity', supercategory='entity')
    ]
    assert pseudo['annotations']
    rows = results_rows(out, {})
    assert all('AP^e' in r for r in rows
               if r['stage'] in ('labeler', 'warmup'))
    # the entity labels include stuff: more per image than things alone
    things = json.load(open(osp.join(ann, 'instances_labeled.json')))
    ents = json.load(open(osp.join(ann, 'entities_labeled.json')))
    assert len(ents['annotations']) > len(things['annotations'])


def test_entities_need_entity_labels_and_an_agnostic_labeler(
        toy_root, tmp_path):
    casp = _entities_casp(toy_root)
    casp['data']['val']['entities'] = '/nowhere/entities_val.json'
    with pytest.raises(PipelineError, match='data.val.entities'):
        CaspPipeline(casp, str(tmp_path / 'a')).validate()
    casp = _entities_casp(toy_root)
    casp['labeler'] = dict(type='cam')
    casp['warmup']['config'] = \
        'configs/fcos/fcos-ca_r18w16_fpn_toy-12e_toy-objects.py'
    with pytest.raises(PipelineError, match="'cam' labeler does not learn"):
        CaspPipeline(casp, str(tmp_path / 'b')).validate()
    casp = _entities_casp(toy_root)
    casp['pseudo']['class_specific'] = True
    with pytest.raises(PipelineError, match='class_specific must be False'):
        CaspPipeline(casp, str(tmp_path / 'c')).validate()
    casp['pretrain_on'] = 'stuff'
    with pytest.raises(PipelineError, match='pretrain_on: must be one of'):
        CaspPipeline(casp, str(tmp_path / 'd'))
