# Copyright (c) mmcasp contributors. All rights reserved.
"""tools/train.py and tools/test.py end to end, including --resume."""
import json
import os.path as osp
import subprocess
import sys

from tests._helpers import (REPO_ROOT, TINY_CONFIG, subprocess_env,
                            toy_cfg_options)


def _run(args, cwd):
    proc = subprocess.run(
        [sys.executable] + args,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=subprocess_env(),
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_train_resume_and_test(toy_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    train = osp.join(REPO_ROOT, 'tools', 'train.py')
    proc = _run([
        train, TINY_CONFIG, '--work-dir', work_dir, '--cfg-options',
        *toy_cfg_options(toy_root, epochs=1)
    ], str(tmp_path))
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    # where the weights start, printed before the Runner (a toy model:
    # random, MMCASP_OFFLINE=1 as in every test)
    assert 'initial weights (MMCASP_OFFLINE=1' in proc.stdout
    assert 'backbone: random weights' in proc.stdout

    # --resume (auto) continues from epoch_1.pth: checkpoint loads with
    # weights_only on, and training goes on to epoch 2, not from scratch.
    proc = _run([
        train, TINY_CONFIG, '--work-dir', work_dir, '--resume',
        '--cfg-options', *toy_cfg_options(toy_root, epochs=2)
    ], str(tmp_path))
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 1' in log
    assert 'Epoch(train) [1]' not in log
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))

    out = str(tmp_path / 'preds.pkl')
    proc = _run([
        osp.join(REPO_ROOT, 'tools', 'test.py'), TINY_CONFIG,
        osp.join(work_dir, 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 'eval'), '--out', out, '--cfg-options',
        *toy_cfg_options(toy_root)
    ], str(tmp_path))
    assert osp.isfile(out)
    assert 'agnostic/bbox_mAP' in proc.stdout + proc.stderr
    metrics = [
        json.loads(line)
        for line in open(next(iter(_glob(str(tmp_path / 'eval'), '*.json'))))
    ]
    assert any('agnostic/segm_mAP' in m for m in metrics)


def _glob(root, pattern):
    import glob
    return sorted(glob.glob(osp.join(root, '**', pattern), recursive=True))


def test_dist_train_two_cpu_processes(toy_root, tmp_path):
    """tools/dist_train.sh with 2 CPU processes (gloo): mmengine's own
    init_dist and DDP wrapper assume CUDA; mmcasp's tools handle CPU."""
    import os
    work_dir = str(tmp_path / 'dist')
    proc = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools',
                 'dist_train.sh'), TINY_CONFIG, '2', '--work-dir', work_dir,
        '--cfg-options', *toy_cfg_options(toy_root, epochs=1)
    ],
                          capture_output=True,
                          text=True,
                          cwd=str(tmp_path),
                          env=subprocess_env(
                              PORT=str(29600 + os.getpid() % 500),
                              PATH=osp.dirname(sys.executable) + ':' +
                              os.environ['PATH']),
                          timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'Distributed training: True' in log
    # 16 labeled images, batch 4 per process, 2 processes: 2 iterations
    assert 'Epoch(train) [1][2/2]' in log
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
