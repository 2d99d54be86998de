# Copyright (c) mmcasp contributors. All rights reserved.
"""--cfg-options of tools/casp.py: config keys, sweep-style casp keys,
typos refused."""
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from mmcasp.pipeline import PipelineError, apply_cfg_options, prepare_casp
from mmcasp.utils import run_main
from tests._helpers import REPO_ROOT

DEMO = osp.join(REPO_ROOT, 'configs', 'casp',
                'casp_r18w16_fpn_toy-demo_toy.py')


def test_config_keys_and_sweep_style_keys_merge():
    cfg = Config.fromfile(DEMO)
    full = apply_cfg_options(
        cfg, {
            'casp.warmup.epochs': 1,
            'pseudo.delta': 0.3,
            'finetune.parts': ['backbone', 'neck'],
            'toy.num_images.labeled': 24,
        })
    assert set(full) == {
        'casp.warmup.epochs', 'casp.pseudo.delta', 'casp.finetune.parts',
        'toy.num_images.labeled'
    }
    assert cfg.casp.warmup.epochs == 1
    assert cfg.casp.warmup.config.endswith('toy-objects.py')  # kept
    assert cfg.casp.pseudo.delta == 0.3
    assert cfg.casp.pseudo.max_per_image == 30  # kept
    assert cfg.casp.finetune.parts == ['backbone', 'neck']
    assert cfg.toy.num_images == dict(labeled=24, unlabeled=240, val=60)


def test_data_root_option_reaches_the_data_paths(tmp_path):
    cfg = Config.fromfile(DEMO)
    apply_cfg_options(cfg, {'data_root': str(tmp_path)})
    casp = prepare_casp(cfg, str(tmp_path / 'work'))
    assert casp['data']['labeled']['ann'] == str(tmp_path / 'annotations' /
                                                 'instances_labeled.json')


def test_unknown_key_is_refused_with_the_valid_heads():
    cfg = Config.fromfile(DEMO)
    with pytest.raises(PipelineError, match='warmpu.epochs') as e:
        apply_cfg_options(cfg, {'warmpu.epochs': 1})
    assert 'warmup' in str(e.value) and 'toy' in str(e.value)
    assert 'warmpu' not in cfg.casp


def test_casp_tool_stops_on_a_bad_option_before_any_work(tmp_path):
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
    try:
        import casp as casp_tool
    finally:
        sys.path.pop(0)
    argv = [
        DEMO, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', 'lableer.epochs=1'
    ]
    # as `python tools/casp.py` runs it: run_main(main, PipelineError)
    with pytest.raises(SystemExit, match='error: --cfg-options lableer'):
        run_main(lambda: casp_tool.main(argv), PipelineError)
    assert not osp.exists(tmp_path / 'w')
    args = casp_tool.parse_args(
        ['--cfg-options', 'warmup.epochs=1', 'finetune.parts=[backbone]'])
    assert args.cfg_options == {
        'warmup.epochs': 1,
        'finetune.parts': ['backbone']
    }
