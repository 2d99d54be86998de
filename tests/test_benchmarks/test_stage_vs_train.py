# Copyright (c) mmcasp contributors. All rights reserved.
"""benchmarks/stage_vs_train.py end to end on the tiny config and the toy
data: tools/train.py and the pipeline's stage trainer each train it once,
in their own process, and their iteration times are read from mmengine's
logs."""
import json
import os.path as osp
import subprocess
import sys

from tests._helpers import (REPO_ROOT, TINY_CONFIG, subprocess_env,
                            toy_cfg_options)


def test_both_loops_train_and_are_timed(toy_root, tmp_path):
    out = tmp_path / 'stage_vs_train.json'
    subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'benchmarks', 'stage_vs_train.py'), TINY_CONFIG,
        '--rounds', '1', '--work-dir',
        str(tmp_path / 'runs'), '--out',
        str(out), '--cfg-options', *toy_cfg_options(toy_root)
    ],
                   check=True,
                   env=subprocess_env(MMCASP_OFFLINE='1'),
                   cwd=REPO_ROOT,
                   timeout=600)
    res = json.loads(out.read_text())
    assert [r['loop']
            for r in res['runs']] == ['tools/train.py', 'pipeline stage']
    for r in res['runs']:
        assert r['s_per_iter'] > 0 and r['logged_windows'] >= 1
    assert res['summary']['stage_vs_train_s_per_iter'] > 0
    # both trained the same schedule: one epoch each, logs kept
    for name in ('0_tools_train.py', '0_pipeline stage'):
        assert osp.exists(tmp_path / 'runs' / name / 'epoch_1.pth'), name
        assert (tmp_path / 'runs' / name / 'run.log').stat().st_size > 0
