# Copyright (c) mmcasp contributors. All rights reserved.
"""A PanopticFPN finetuning target: panoptic data, PQ in the report."""
import os.path as osp

import pytest

from mmcasp.pipeline import CaspPipeline, PipelineError
from tests.test_pipeline.test_casp import FAST, _casp

PANOPTIC_CFG = 'configs/panoptic_fpn/panoptic-fpn_r18w16_fpn_toy-12e_toy.py'


def _panoptic(toy_root):
    casp = _casp(toy_root)
    ann = osp.join(toy_root, 'annotations')
    for split in ('labeled', 'val'):
        casp['data'][split]['panoptic'] = dict(
            ann=osp.join(ann, f'panoptic_{split}.json'),
            seg=osp.join(ann, f'panoptic_{split}'))
    casp['finetune'] = dict(
        config=PANOPTIC_CFG,
        epochs=1,
        parts=['backbone', 'neck'],
        cfg_options=dict(FAST, **{'model.test_cfg.rcnn.score_thr': 0.0}))
    return casp


@pytest.mark.slow
def test_panoptic_target_is_scored_with_pq(toy_root, tmp_path):
    out = CaspPipeline(
        _panoptic(toy_root), str(tmp_path / 'pan'), name='t_pan').run()
    for stage in ('finetune', 'baseline'):
        assert 'coco_panoptic/PQ' in out[stage]['metrics'], stage
    md = open(out['evaluate']['report']['md']).read()
    header = md.splitlines()[0]
    assert '| PQ |' in header and '| SQ |' in header


def test_panoptic_target_needs_panoptic_labels(toy_root, tmp_path):
    casp = _panoptic(toy_root)
    del casp['data']['val']['panoptic']
    with pytest.raises(PipelineError, match='data.val.panoptic.ann'):
        CaspPipeline(casp, str(tmp_path / 'w')).run()
