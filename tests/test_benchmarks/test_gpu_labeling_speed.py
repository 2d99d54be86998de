# Copyright (c) mmcasp contributors. All rights reserved.
"""benchmarks/gpu_labeling_speed.sh, the prepared GPU labeling benchmark,
in its CPU dry-run mode: every step it runs on a device (seeded
checkpoints, stock vs mmcasp at several batch sizes, the tool writing a
label store, the summary) runs here on the toy labeler, so the script
cannot rot between GPU loans."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest

from tests._helpers import REPO_ROOT, SHARED, subprocess_env

COCO_MINI = osp.join(SHARED, 'data', 'coco-mini')


@pytest.mark.skipif(
    not osp.isdir(COCO_MINI),
    reason=f'real COCO-mini images not found at {COCO_MINI}')
def test_dry_run_runs_every_step(tmp_path):
    out = tmp_path / 'out'
    env = dict(
        subprocess_env(),
        DRY_RUN='1',
        OUT=str(out),
        PYTHON=sys.executable,
        COCO_MINI=COCO_MINI)
    # its own process group: a timeout stops the script's Python too
    proc = subprocess.Popen(
        ['bash', osp.join('benchmarks', 'gpu_labeling_speed.sh')],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True)
    try:
        stdout, _ = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 0, stdout
    assert 'failed' not in stdout, stdout
    res = json.loads((out / 'labeling_speed_toy.json').read_text())
    assert res['stock']['images_per_s'] > 0
    assert [o['batch_size'] for o in res['ours']] == [1, 2]
    assert res['labels_identical_across_batch_sizes']
    assert all(o['labels'] > 0 for o in res['ours'])
    summary = (out / 'summary.md').read_text()
    assert '| toy | stock | 1 | fp32 |' in summary
    assert '| toy | mmcasp | 2 | fp32 |' in summary
    assert 'tool store: written' in summary
    assert os.listdir(out / 'tool_store' / 'records')
