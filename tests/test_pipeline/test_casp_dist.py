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
from collections import defaultdict

import pytest

from mmcasp.pipeline import CaspPipeline
from mmcasp.pseudo_labels import load_pseudo_labels
from tests._helpers import REPO_ROOT, free_port, subprocess_env
from tests._stop_points import IMPORTS, importable_env, stop_env, wait_for_stop
from tests.test_pipeline.test_casp import _casp

CASP = osp.join(REPO_ROOT, 'tools', 'casp.py')


def _run(cmd, env=None, **extra):
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=env or subprocess_env(**extra),
        cwd=REPO_ROOT,
        timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc


def _write_config(path, casp, custom_imports=None) -> str:
    text = f'data_root = None\ncasp = {casp!r}\n'
    if custom_imports:
        text = f'custom_imports = {custom_imports!r}\n' + text
    path.write_text(text)
    return str(path)


def _annotations(path):
    by_image = defaultdict(list)
    for a in load_pseudo_labels(path)['annotations']:
        by_image[a['image_id']].append(a)
    return by_image


def _same_labels(a, b):
    """The same labels per image, exactly: boxes, scores and masks.

    The rule for any number of processes and threads. Labeling
    (``pseudo.batch_invariant``) runs each image's CPU forward alone on
    one thread, so each image gets the same forward however the work is
    split. Measured with image-dependent predictions: identical files
    for OMP_NUM_THREADS unset, 1 and 2, with 1 or 2 processes, batch 1, 2
    or 4 (tests/test_pseudo_labels/test_tools.py checks one such pair, 1
    thread against 2 processes of 2, on every run). Training is another
    matter: 2 processes all-reduce gradients in another summation order
    than 1 process, so weights trained under other process counts agree
    only up to a tolerance; no test compares such weights (the slurm test
    compares runs of the same 2 tasks, bit for bit)."""
    assert sorted(a) == sorted(b)
    for img_id in a:
        assert a[img_id] == b[img_id], img_id


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
    # (the labeler's outputs are fixed, see _casp: this checks the shards
    # and their merge; test_tools.py compares image-dependent labels)
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


STOP_EPOCH = 2


@pytest.mark.slow
def test_killed_stage_resumes_and_finished_stages_are_skipped(
        toy_root, tmp_path):
    """tools/casp.py killed (SIGKILL, as a pre-empted job dies) in the
    middle of the labeler's training, right after the checkpoint of epoch
    2: a test-only hook (tests/_stop_points.py) stops the run there, so the
    kill lands between that checkpoint and the end of the stage on any
    machine. Run again, the stage resumes from that checkpoint; a third
    run skips it."""
    casp = _casp(toy_root)
    casp['labeler']['epochs'] = 8
    # inert in the runs without the stop file: the settings stay the same
    casp['labeler']['cfg_options']['custom_hooks'] = [
        dict(type='StopAfterCheckpointHook', epoch=STOP_EPOCH)
    ]
    cfg = _write_config(tmp_path / 'pipe.py', casp, IMPORTS)
    work = tmp_path / 'kill'
    cmd = [
        sys.executable, CASP, cfg, '--work-dir',
        str(work), '--data-root', toy_root, '--stages', 'labeler'
    ]
    stop, log = str(tmp_path / 'stopped'), str(tmp_path / 'killed.log')
    with open(log, 'w') as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=stop_env(stop),
            cwd=REPO_ROOT,
            start_new_session=True)
    try:
        wait_for_stop(stop, lambda: proc.poll() is None, 600, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # as a pre-empted job dies
        proc.wait()
    # mmengine names the last complete checkpoint in last_checkpoint
    last = work / 'labeler' / 'last_checkpoint'
    m = re.search(r'epoch_(\d+)\.pth$', last.read_text().strip())
    killed_at = int(m.group(1))
    assert killed_at == STOP_EPOCH
    assert not (work / 'labeler' / 'done.json').exists(), \
        'killed too late: the stage had finished'

    def rerun():
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=importable_env(),
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
    assert resumed and resumed[0] == killed_at, \
        'the re-run did not resume the last checkpoint'
    assert 'Epoch(train) [1]' not in again.stdout + again.stderr

    third = rerun()
    assert third.returncode == 0, third.stderr[-4000:]
    out = third.stdout + third.stderr
    assert 'labeler: done, skipped' in out
    assert 'Epoch(train)' not in out
