# Copyright (c) mmcasp contributors. All rights reserved.
"""benchmarks/cpu_forward_modes.py end to end on the tiny config: every
mode runs and is timed, the one-thread workers give one thread's bits, and
the fused model computes the plain model's outputs up to rounding."""
import json
import os.path as osp
import subprocess
import sys

import torch

from tests._helpers import REPO_ROOT, TINY_CONFIG, subprocess_env


def test_modes_run_and_one_thread_bits_hold(tmp_path):
    out = tmp_path / 'modes.json'
    subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'benchmarks', 'cpu_forward_modes.py'), '--config',
        TINY_CONFIG, '--size', '64', '96', '--images', '4', '--micro-batch',
        '2', '--rounds', '1', '--out',
        str(out)
    ],
                   check=True,
                   env=subprocess_env(MMCASP_OFFLINE='1'),
                   cwd=REPO_ROOT,
                   timeout=600)
    res = json.loads(out.read_text())
    modes = {'threads', 'one_thread', 'one_thread_fused'}
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        modes.add('one_thread_fused_bf16')
    assert set(res['images_per_s']) == modes
    assert all(v > 0 for v in res['images_per_s'].values())
    assert res['one_thread_bits'] is True
    # fusion reorders one multiply-add per channel and layer: rounding only
    assert res['fused_max_abs_diff'] <= 1e-4 * max(1.0, res['output_max_abs'])
