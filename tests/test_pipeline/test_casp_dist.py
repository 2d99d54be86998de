# Copyright (c) mmcasp contributors. All rights reserved.
"""tools/casp.py as users run it: under 2 processes (gloo), and killed in
the middle of a training stage, then run again."""
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np
import pytest
from pycocotools import mask as mask_util
from scipy.optimize import linear_sum_assignment

from mmcasp.pipeline import CaspPipeline
from tests._helpers import REPO_ROOT, free_port, subprocess_env
from tests.test_pipeline.test_casp import _casp

CASP = osp.join(REPO_ROOT, 'tools', 'casp.py')


def _run(cmd, **env):
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=subprocess_env(**env),
        cwd=REPO_ROOT,
        timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc


def _write_config(path, casp) -> str:
    path.write_text(f'data_root = None\ncasp = {casp!r}\n')
    return str(path)


def _annotations(path):
    by_image = defaultdict(list)
    for a in json.load(open(path))['annotations']:
        by_image[a['image_id']].append(a)
    return by_image


# The pseudo-label file writes boxes with 2 decimals and scores with 5
# (mmcasp.pseudo_labels.coco_io). Processes under torch.distributed run
# single-threaded (mmengine sets OMP/MKL threads to 1), one process runs on
# all cores, so float sums differ in their last bits (~1e-7 relative). A
# value that close to a rounding boundary is written one quantum apart;
# more than one quantum would be a real difference.
BOX_QUANTUM, SCORE_QUANTUM = 0.01, 0.00001


def _gap(x, y):
    return max(
        abs(u - v)
        for u, v in zip(x['bbox'] + [x['score']], y['bbox'] + [y['score']]))


def _same_labels(a, b):
    """The same labels per image: paired one to one (by box and score, so
    that near-equal scores cannot swap an order), boxes and scores equal up
    to one quantum of the written precision (see above); masks equal up to
    a few pixels, as a mask logit on the 0.5 threshold may flip."""
    assert sorted(a) == sorted(b)
    for img_id in a:
        xs, ys = a[img_id], b[img_id]
        assert len(xs) == len(ys), img_id
        cost = np.array([[_gap(x, y) for y in ys] for x in xs])
        for i, j in zip(*linear_sum_assignment(cost)):
            x, y = xs[i], ys[j]
            assert abs(x['score'] - y['score']) <= SCORE_QUANTUM * 1.001, \
                (x, y)
            diff = max(abs(u - v) for u, v in zip(x['bbox'], y['bbox']))
            assert diff <= BOX_QUANTUM * 1.001, (x, y)
            iou = mask_util.iou([x['segmentation']], [y['segmentation']], [0])
            assert iou[0][0] > 0.95, (x, y)


@pytest.mark.slow
def test_stages_under_two_processes(toy_root, tmp_path):
    cfg = _write_config(tmp_path / 'pipe.py', _casp(toy_root))
    work = tmp_path / 'dist'
    # as users launch it: tools/dist_casp.sh (torch.distributed.run)
    _run([
        'bash',
        osp.join(REPO_ROOT, 'tools', 'dist_casp.sh'), cfg, '2', '--work-dir',
        str(work), '--data-root', toy_root, '--stages', 'labeler', 'pseudo',
        'warmup'
    ],
         PORT=str(free_port()),
         PATH=osp.dirname(sys.executable) + os.pathsep +
         os.environ.get('PATH', ''))
    for stage in ('labeler', 'pseudo', 'warmup'):
        assert osp.isfile(work / stage / 'done.json'), stage
    logs = ''.join(
        open(osp.join(dp, f)).read() for dp, _, fs in os.walk(work / 'labeler')
        for f in fs if f.endswith('.log'))
    assert 'Distributed training: True' in logs
    assert "'world_size': 2" in logs or 'world_size: 2' in logs or \
        'GPU number: 2' in logs
    # one set of records: the ranks' shards merged by rank 0
    dist_pseudo = json.load(open(work / 'pseudo' / 'done.json'))
    assert dist_pseudo['stats']['images_in'] == 8
    # pseudo labels of the same labeler in one process are the same labels
    single = CaspPipeline(
        _casp(toy_root),
        str(tmp_path / 'single'),
        name='t_single',
        stage_dirs={
            'labeler': str(work / 'labeler')
        }).run(['pseudo'])
    _same_labels(
        _annotations(single['pseudo']['file']),
        _annotations(dist_pseudo['file']))
    assert single['pseudo']['stats']['labels'] == \
        dist_pseudo['stats']['labels']


@pytest.mark.slow
def test_killed_stage_resumes_and_finished_stages_are_skipped(
        toy_root, tmp_path):
    casp = _casp(toy_root)
    casp['labeler']['epochs'] = 8
    cfg = _write_config(tmp_path / 'pipe.py', casp)
    work = tmp_path / 'kill'
    cmd = [
        sys.executable, CASP, cfg, '--work-dir',
        str(work), '--data-root', toy_root, '--stages', 'labeler'
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=subprocess_env(),
        cwd=REPO_ROOT,
        start_new_session=True)
    # mmengine names the last complete checkpoint in last_checkpoint
    last = work / 'labeler' / 'last_checkpoint'

    def saved_epoch():
        text = last.read_text().strip() if last.exists() else ''
        m = re.search(r'epoch_(\d+)\.pth$', text)
        return int(m.group(1)) if m else 0

    deadline = time.time() + 300
    while saved_epoch() < 2 and proc.poll() is None and \
            time.time() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # as a pre-empted job dies
    proc.wait()
    killed_at = saved_epoch()
    assert killed_at >= 2, 'the labeler never wrote a checkpoint'
    assert not (work / 'labeler' / 'done.json').exists(), \
        'killed too late: the stage had finished'

    def rerun():
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=subprocess_env(),
            cwd=REPO_ROOT,
            timeout=300)

    again = rerun()
    assert again.returncode == 0, again.stderr[-4000:]
    done = json.load(open(work / 'labeler' / 'done.json'))
    assert done['checkpoint'].endswith('epoch_8.pth')
    logs = [
        open(osp.join(dp, f)).read() for dp, _, fs in os.walk(work / 'labeler')
        for f in fs if f.endswith('.log')
    ]
    resumed = [
        int(m) for t in logs for m in re.findall(r'resumed epoch: (\d+)', t)
    ]
    assert resumed and resumed[0] >= killed_at, \
        'the re-run did not resume the last checkpoint'
    assert 'Epoch(train) [1]' not in again.stdout + again.stderr

    third = rerun()
    assert third.returncode == 0, third.stderr[-4000:]
    out = third.stdout + third.stderr
    assert 'labeler: done, skipped' in out
    assert 'Epoch(train)' not in out
