# Copyright (c) mmcasp contributors. All rights reserved.
"""DAP as a pipeline option (CAM labeler -> box-only warmup -> finetune),
TensorBoard logging and the report's optional columns."""
import glob
import os.path as osp

import pytest

from mmcasp.pipeline import CaspPipeline, PipelineError, results_rows
from mmcasp.pseudo_labels import load_pseudo_labels
from tests.test_pipeline.test_casp import FAST, TOY_CFG, _casp

FCOS_CFG = 'configs/fcos/fcos-ca_r18w16_fpn_toy-12e_toy-objects.py'


def _dap(toy_root):
    casp = _casp(toy_root)
    casp['labeler'] = dict(type='cam', scales=[96], top_k=1)
    casp['warmup'] = dict(config=FCOS_CFG, epochs=1, cfg_options=FAST)
    casp['finetune']['parts'] = ['backbone', 'neck', 'head']
    return casp


@pytest.mark.slow
def test_dap_pipeline_with_tensorboard(toy_root, tmp_path):
    work = str(tmp_path / 'dap')
    vis = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
    out = CaspPipeline(
        _dap(toy_root), work, name='t_dap', vis_backends=vis).run()
    assert out['labeler']['kind'] == 'cam'
    assert not osp.exists(osp.join(work, 'labeler', 'epoch_1.pth'))
    pseudo = load_pseudo_labels(out['pseudo']['file'])
    assert pseudo['info']['labeler'] == 'cam'
    assert [c['name'] for c in pseudo['categories']] == ['object']
    assert pseudo['annotations']
    assert all('segmentation' not in a for a in pseudo['annotations'])
    assert out['warmup']['checkpoint'].endswith('epoch_1.pth')
    assert 'coco/bbox_mAP' in out['finetune']['metrics']
    md = open(out['evaluate']['report']['md']).read()
    assert 'DAP (warmup -> finetune)' in md and 'labeler (CAM, DAP)' in md
    # TensorBoard event files next to the local logs of every training stage
    for stage in ('warmup', 'finetune', 'baseline'):
        events = glob.glob(
            osp.join(work, stage, '*', 'vis_data', 'events.out.tfevents.*'))
        assert events, stage


def test_cam_labeler_needs_a_box_only_warmup(toy_root, tmp_path):
    bad = _dap(toy_root)
    bad['warmup']['config'] = TOY_CFG  # CondInst trains on masks
    with pytest.raises(PipelineError, match='boxes only'):
        CaspPipeline(bad, str(tmp_path / 'w')).run()
    bad = _dap(toy_root)
    bad['labeler']['type'] = 'cnn'
    with pytest.raises(PipelineError, match='labeler.type'):
        CaspPipeline(bad, str(tmp_path / 'w')).run()
    assert not osp.exists(str(tmp_path / 'w' / 'labeler'))


def test_report_has_pq_columns_only_for_panoptic_targets():
    plain = {'finetune': dict(metrics={'coco/bbox_mAP': 0.5})}
    rows = results_rows(plain, {})
    assert rows[0]['AP^det'] == 0.5 and 'PQ' not in rows[0]
    pan = {
        'finetune':
        dict(
            metrics={
                'coco_panoptic/PQ': 12.5,
                'coco_panoptic/SQ': 70.0,
                'coco_panoptic/RQ': 17.0
            })
    }
    rows = results_rows(pan, {})
    assert (rows[0]['PQ'], rows[0]['SQ'], rows[0]['RQ']) == (12.5, 70., 17.)
    assert rows[0]['method'] == 'CaSP (warmup -> finetune)'
