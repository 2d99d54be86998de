# Copyright (c) mmcasp contributors. All rights reserved.
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmcasp.pipeline import (expand_grid, labeler_is_baseline, stage_keys,
                             sweep_rows)
from tests._fixed_labelers import CORNER_MODULE, write_corner_labelers
from tests._helpers import REPO_ROOT, pythonpath, subprocess_env
from .test_casp import FAST

FCOS_CA = 'configs/fcos/fcos-ca_r18w16_fpn_toy-12e_toy-objects.py'


def _base():
    return dict(
        data=dict(
            labeled=dict(ann='l.json', img='l'),
            unlabeled=dict(ann='u.json', img='u'),
            val=dict(ann='v.json', img='v')),
        labeler=dict(config='a.py', epochs=1),
        pseudo=dict(delta=0.2),
        warmup=dict(config='a.py', epochs=1),
        finetune=dict(config='b.py', epochs=1, parts=['backbone']))


def test_expand_grid_and_shared_stages():
    runs = expand_grid(
        _base(), {
            'pseudo.delta': [0.2, 0.4],
            'finetune.parts': [['backbone'], ['backbone', 'neck']]
        })
    assert len(runs) == 4
    assert runs[0]['params'] == {
        'finetune.parts': ['backbone'],
        'pseudo.delta': 0.2
    }
    assert runs[3]['casp']['pseudo']['delta'] == 0.4
    keys = [stage_keys(r['casp']) for r in runs]
    assert len({k['labeler'] for k in keys}) == 1  # one labeler for all
    assert len({k['pseudo'] for k in keys}) == 2  # one per delta
    assert len({k['warmup'] for k in keys}) == 2
    assert len({k['finetune'] for k in keys}) == 4
    assert len({k['baseline'] for k in keys}) == 1  # parts do not matter
    # an explicit ``baseline=None`` is the finetune's, as when missing
    none = stage_keys(dict(runs[0]['casp'], baseline=None))
    assert none['baseline'] == keys[0]['baseline']
    rows = sweep_rows(
        [dict(r, work_dir=f'/x/run-{i}') for i, r in enumerate(runs)])
    assert rows[2]['finetune.parts'] == '["backbone", "neck"]'
    assert rows[0]['CaSP AP^det'] is None


def test_labeler_is_baseline():
    """A class-specific detector labeler with the baseline's settings is
    the baseline's model; any difference makes it another."""
    casp = _base()
    casp['labeler'] = dict(config='b.py', epochs=1)
    assert not labeler_is_baseline(casp)  # class-agnostic labels
    casp['pseudo']['class_specific'] = True
    assert labeler_is_baseline(casp)
    casp['labeler'].update(type='detector', cfg_options={})
    assert labeler_is_baseline(casp)  # the defaults spelled out
    changes = [('epochs', 2), ('config', 'a.py'), ('type', 'cam'),
               ('cfg_options', dict(x=1))]
    for key, value in changes:
        other = _base()
        other['pseudo']['class_specific'] = True
        other['labeler'] = dict(dict(config='b.py', epochs=1), **{key: value})
        assert not labeler_is_baseline(other), key
    other = dict(casp, pretrain_on='entities')
    assert not labeler_is_baseline(other)
    # a baseline of its own: compared with that one
    other = dict(casp, baseline=dict(config='b.py', epochs=3))
    assert not labeler_is_baseline(other)
    other['labeler'] = dict(config='b.py', epochs=3)
    assert labeler_is_baseline(other)


@pytest.mark.slow
def test_sweep_tool_shares_stages_and_aggregates(toy_root, tmp_path):
    """Runs that share upstream settings share those stages. The labeler
    is the test-only ``CornerBoxLabeler`` (tests/_fixed_labelers.py),
    registered by the base config's custom_imports: its labels (one box
    per image, score 0.9) pass both deltas by construction, whatever a
    briefly trained detector would score."""
    ann = 'annotations/'
    base = tmp_path / 'pipe.py'
    casp = dict(
        data=dict(
            labeled=dict(
                ann=ann + 'instances_labeled.json', img='images/labeled'),
            unlabeled=dict(ann=ann + 'unlabeled.json', img='images/unlabeled'),
            val=dict(ann=ann + 'instances_val.json', img='images/val')),
        labeler=dict(type='CornerBoxLabeler', score=0.9),
        pseudo=dict(delta=0.05, max_per_image=3, num_workers=0),
        # corner boxes come without masks: a box-only warmup
        warmup=dict(config=FCOS_CA, epochs=1, cfg_options=FAST),
        finetune=dict(
            config='configs/condinst/condinst_r18w16_fpn_toy-12e_toy.py',
            epochs=1,
            parts=['backbone', 'neck'],
            cfg_options=dict(FAST, **{'model.test_cfg.score_thr': 0.0})))
    base.write_text(f'custom_imports = dict(imports=[{CORNER_MODULE!r}], '
                    'allow_failed_imports=False)\n'
                    f'data_root = None\ncasp = {casp!r}\n')
    env = subprocess_env(
        PYTHONPATH=pythonpath(write_corner_labelers(tmp_path)))
    sweep = tmp_path / 'sweep.py'
    sweep.write_text(f"base = {str(base)!r}\n"
                     "grid = {'pseudo.delta': [0.05, 0.06]}\n")
    work = tmp_path / 'sw'
    cmd = [
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'sweep.py'),
        str(sweep), '--work-dir',
        str(work), '--data-root', toy_root
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stages = sorted(os.listdir(work / 'stages'))
    assert sum(s.startswith('labeler-') for s in stages) == 1
    assert sum(s.startswith('warmup-') for s in stages) == 2
    assert sum(s.startswith('pseudo-') for s in stages) == 2
    assert sum(s.startswith('baseline-') for s in stages) == 1
    rows = json.load(open(work / 'sweep.json'))
    assert [r['pseudo.delta'] for r in rows] == [0.05, 0.06]
    assert all(r['CaSP AP^det'] is not None for r in rows)
    assert (work / 'sweep.png').stat().st_size > 0
    # a second run trains nothing
    again = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    assert again.returncode == 0
    assert 'running' not in again.stdout + again.stderr
