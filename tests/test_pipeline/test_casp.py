# Copyright (c) mmcasp contributors. All rights reserved.
"""The CaSP pipeline end to end on tiny toy data (1 epoch per stage)."""
import copy
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmcasp.pipeline import CaspPipeline, PipelineError, results_rows
from mmcasp.pseudo_labels import load_pseudo_labels
from tests._fixed_labelers import fixed_condinst_options
from tests._helpers import REPO_ROOT, subprocess_env

TOY_CFG = 'configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py'
FAST = {
    'train_dataloader.batch_size': 4,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'val_dataloader.num_workers': 0,
    'val_dataloader.persistent_workers': False,
    'test_dataloader.num_workers': 0,
    'test_dataloader.persistent_workers': False,
    'default_hooks.logger.interval': 1,
}


def _casp(toy_root):
    ann = osp.join(toy_root, 'annotations')
    img = osp.join(toy_root, 'images')
    return dict(
        data=dict(
            labeled=dict(
                ann=osp.join(ann, 'instances_labeled.json'),
                img=osp.join(img, 'labeled')),
            unlabeled=dict(
                ann=osp.join(ann, 'unlabeled.json'),
                img=osp.join(img, 'unlabeled')),
            val=dict(
                ann=osp.join(ann, 'instances_val.json'),
                img=osp.join(img, 'val'))),
        # trained for 1 epoch, with its box head's outputs fixed by
        # construction (see tests/_fixed_labelers.py): every unlabeled image
        # gets max_per_image labels (score 0.98 > delta, full masks) on any
        # machine. score_thr 0: its pre-filter keeps all that delta would
        labeler=dict(
            config=TOY_CFG,
            epochs=1,
            cfg_options=dict(FAST, **{'model.test_cfg.score_thr': 0.0},
                             **fixed_condinst_options())),
        pseudo=dict(delta=0.05, max_per_image=3, num_workers=0),
        warmup=dict(config=TOY_CFG, epochs=1, cfg_options=FAST),
        finetune=dict(
            config='configs/condinst/condinst_r18w16_fpn_toy-12e_toy.py',
            epochs=1,
            parts=['backbone', 'neck', 'head', 'mask_head'],
            cfg_options=dict(FAST, **{'model.test_cfg.score_thr': 0.0})))


@pytest.mark.slow
def test_pipeline_runs_skips_and_resumes(toy_root, tmp_path):
    work = str(tmp_path / 'casp')
    extra = [
        dict(
            name='labeled_again',
            ann=osp.join(toy_root, 'annotations', 'instances_labeled.json'),
            img=osp.join(toy_root, 'images', 'labeled'))
    ]
    out = CaspPipeline(_casp(toy_root), work, extra, name='t_casp').run()
    for stage in ('labeler', 'warmup', 'finetune', 'baseline'):
        assert osp.isfile(out[stage]['checkpoint'])
        assert osp.isfile(out[stage]['config'])
    for stage in ('finetune', 'baseline'):
        assert 'coco/bbox_mAP' in out[stage]['metrics']
        assert 'agnostic/segm_mAP' in out[stage]['metrics']
    assert 'agnostic/bbox_mAP' in out['labeler']['metrics']
    pseudo = load_pseudo_labels(out['pseudo']['file'])
    assert pseudo['annotations'] and pseudo['info']['delta'] == 0.05
    # the labeler's fixed outputs label every image
    assert out['pseudo']['stats']['images_kept'] == 8
    # a labeler that scored 0 box AP on val is warned about, not trusted
    empty = out['labeler']['metrics']['agnostic/bbox_mAP'] == 0
    assert bool(out['pseudo']['warnings']) == empty
    report = out['evaluate']['report']
    for ext in ('md', 'csv', 'json', 'png'):
        assert osp.getsize(report[ext]) > 0
    md = open(report['md']).read()
    assert 'CaSP (warmup -> finetune)' in md and 'labeled_again' in md
    assert 'labeled_again' in out['evaluate']['extra']
    # the finetune started from the warmup checkpoint (CaSPTransfer)
    ft_log = open(
        next(
            osp.join(dp, f)
            for dp, _, fs in os.walk(osp.join(work, 'finetune')) for f in fs
            if f.endswith('.log'))).read()
    assert 'CaSPTransfer from' in ft_log
    # the record's metrics are the final validation's: val is not scored a
    # second time by a test loop
    assert 'Epoch(val)' in ft_log and 'Epoch(test)' not in ft_log

    # a second run skips every stage
    again = CaspPipeline(_casp(toy_root), work, extra, name='t_casp2').run()
    assert again['finetune'] == out['finetune']
    assert again['evaluate'] == out['evaluate']

    # other settings than the done stages were made with: refused
    changed = _casp(toy_root)
    changed['warmup']['epochs'] = 2
    with pytest.raises(PipelineError, match='warmup.epochs') as e:
        CaspPipeline(changed, work, name='t_changed').run()
    # found before any work, with the stages that depend on the warmup
    assert '- finetune (' in str(e.value) and 'labeler (' not in str(e.value)

    # a new evaluation set: only it is scored, with the saved checkpoints
    new_set = dict(
        name='val_again',
        ann=osp.join(toy_root, 'annotations', 'instances_val.json'),
        img=osp.join(toy_root, 'images', 'val'))
    pipe = CaspPipeline(_casp(toy_root), work, extra + [new_set], name='t_n')
    assert [ev['name'] for ev in pipe.unscored_evals()] == ['val_again']
    scored = pipe.run(['finetune', 'baseline', 'evaluate'])['evaluate']
    assert scored['extra']['labeled_again'] == out['evaluate']['extra'][
        'labeled_again']
    # the same images and checkpoints as the val scoring during training
    assert scored['extra']['val_again']['finetune']['coco/bbox_mAP'] == \
        pytest.approx(out['finetune']['metrics']['coco/bbox_mAP'], abs=1e-3)
    assert pipe.unscored_evals() == []

    # a stage whose record is gone resumes from its last checkpoint
    os.remove(osp.join(work, 'warmup', 'done.json'))
    os.remove(osp.join(work, 'evaluate', 'done.json'))
    CaspPipeline(
        _casp(toy_root), work, name='t_casp3').run(['warmup', 'evaluate'])
    logs = [
        osp.join(dp, f) for dp, _, fs in os.walk(osp.join(work, 'warmup'))
        for f in fs if f.endswith('.log')
    ]
    assert any('resumed epoch: 1' in open(p).read() for p in logs)
    # nothing left to train, so no validation ran: the test loop scored it
    assert any('Epoch(test)' in open(p).read() for p in logs)

    rows = results_rows({'labeler': out['labeler']}, {})
    assert rows[0]['AP^det'] is None and rows[0]['AP^det-a'] is not None


def test_a_stage_made_with_other_settings_is_not_reused(toy_root, tmp_path):
    """Settings, and the content of the config files they name, are
    recorded with a done stage; a change stops the run instead of silently
    reusing the stage."""
    cfg_file = tmp_path / 'labeler.py'
    base = f"_base_ = '{osp.join(REPO_ROOT, TOY_CFG)}'\n"
    cfg_file.write_text(base)
    casp = _casp(toy_root)
    casp['labeler']['config'] = str(cfg_file)
    work = str(tmp_path / 'w')
    ckpt = tmp_path / 'labeler.pth'
    ckpt.write_bytes(b'not trained here')
    CaspPipeline(casp, work).records.write(
        'labeler', dict(checkpoint=str(ckpt), metrics={}, wall_s=1.0))
    out = CaspPipeline(casp, work).run(['labeler'])
    assert out['labeler']['checkpoint'] == str(ckpt)  # same: reused

    more = copy.deepcopy(casp)
    more['labeler']['epochs'] = 3
    with pytest.raises(PipelineError, match='labeler.epochs'):
        CaspPipeline(more, work).run(['labeler'])
    # the pseudo-label settings are not the labeler's business
    other = copy.deepcopy(casp)
    other['pseudo']['delta'] = 0.5
    assert CaspPipeline(other, work).run(['labeler'])['labeler'] == \
        out['labeler']

    cfg_file.write_text(base + 'train_cfg = dict(val_interval=2)\n')
    with pytest.raises(PipelineError, match='config_content') as e:
        CaspPipeline(casp, work).run(['labeler'])
    assert 'delete those folders' in str(e.value)


def test_bad_configuration_stops_before_training(toy_root, tmp_path):
    bad = _casp(toy_root)
    bad['data']['val']['ann'] = '/nowhere/val.json'
    bad['warmup']['config'] = 'configs/nope.py'
    with pytest.raises(PipelineError) as e:
        CaspPipeline(bad, str(tmp_path / 'w')).run()
    msg = str(e.value)
    assert 'data.val.ann' in msg and 'warmup.config' in msg
    assert not osp.exists(str(tmp_path / 'w' / 'labeler'))


def test_cli_reports_bad_data_root(tmp_path):
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'casp.py'), '--work-dir',
        str(tmp_path / 'w'), '--data-root',
        str(tmp_path / 'missing')
    ],
                          capture_output=True,
                          text=True,
                          env=subprocess_env())
    assert proc.returncode != 0
    assert 'data.labeled.ann' in proc.stderr
