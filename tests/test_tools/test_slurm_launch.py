# Copyright (c) mmcasp contributors. All rights reserved.
"""How the slurm scripts build their srun line, and the torch.distributed
variables a task derives from slurm's; no slurm needed (the scripts run
against stand-in ``sinfo``/``srun`` that print what they were given)."""
import os
import os.path as osp
import subprocess

import pytest

from mmcasp.utils import DistLaunchError, init_distributed, slurm_dist_env
from tests._helpers import REPO_ROOT

SLURM_ENV = dict(
    SLURM_PROCID='3',
    SLURM_NTASKS='8',
    SLURM_LOCALID='1',
    SLURM_NODELIST='gpu[07-08]',
    SLURM_JOB_ID='123456')


@pytest.fixture
def fake_slurm(tmp_path):
    """``sinfo`` answering a GRES column per partition (gpu: 'gpu:8',
    others: '(null)' as slurm prints it) and ``srun`` printing its
    arguments one per line."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'sinfo').write_text(
        '#!/usr/bin/env bash\n'
        'p=""; while [ $# -gt 0 ]; do [ "$1" = -p ] && p=$2; shift; done\n'
        'if [ "$p" = gpu ]; then echo "gpu:8(S:0-1)"; else echo "(null)"; fi\n'
    )
    (bin_dir / 'srun').write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)

    def run(script, *args, **env):
        proc = subprocess.run(
            ['bash', osp.join(REPO_ROOT, 'tools', script), *args],
            capture_output=True,
            text=True,
            env=dict(
                os.environ,
                PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
                **env),
            timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()

    return run


def test_gres_only_on_gpu_partitions(fake_slurm):
    gpu = fake_slurm(
        'slurm_train.sh', 'gpu', 'job', 'cfg.py', 'work', GPUS_PER_NODE='4')
    assert '--gres=gpu:4' in gpu
    cpu = fake_slurm('slurm_train.sh', 'cpu', 'job', 'cfg.py', 'work')
    assert not [a for a in cpu if a.startswith('--gres')]
    # forced either way
    assert not [
        a for a in fake_slurm(
            'slurm_train.sh', 'gpu', 'job', 'cfg.py', 'work', GRES='none')
        if a.startswith('--gres')
    ]
    assert '--gres=gpu:a100:2' in fake_slurm(
        'slurm_train.sh', 'cpu', 'job', 'cfg.py', 'work', GRES='gpu:a100:2')


def test_tool_arguments_keep_mmdet_order_and_quoting(fake_slurm):
    args = fake_slurm(
        'slurm_train.sh',
        'cpu',
        'job',
        'cfg.py',
        'work',
        '--cfg-options',
        'a=b c',
        GPUS='2',
        GPUS_PER_NODE='2',
        CPUS_PER_TASK='1',
        SRUN_ARGS='--time=5 --mem=0',
        PYTHON='py')
    i = args.index('py')
    assert args[i:] == [
        'py', '-u',
        osp.join(REPO_ROOT, 'tools', 'train.py'), 'cfg.py', '--work-dir=work',
        '--cfg-options', 'a=b c', '--launcher=slurm'
    ]
    assert {
        '--ntasks=2', '--ntasks-per-node=2', '--cpus-per-task=1',
        '--job-name=job', '--time=5', '--mem=0'
    } <= set(args[:i])
    casp = fake_slurm('slurm_casp.sh', 'cpu', 'job', 'pipe.py', 'w', '--x')
    assert casp[casp.index('-u') + 1:] == [
        osp.join(REPO_ROOT, 'tools', 'casp.py'), 'pipe.py', '--work-dir=w',
        '--x', '--launcher=slurm'
    ]
    label = fake_slurm('slurm_pseudo_label.sh', 'cpu', 'job', 'c.py', 'm.pth',
                       '--out', 'o.json')
    assert label[label.index('-u') + 1:] == [
        osp.join(REPO_ROOT, 'tools', 'pseudo_label.py'), 'c.py', 'm.pth',
        '--out', 'o.json', '--launcher=slurm'
    ]
    test = fake_slurm('slurm_test.sh', 'cpu', 'job', 'c.py', 'm.pth')
    assert test[test.index('-u') + 1:] == [
        osp.join(REPO_ROOT, 'tools', 'test.py'), 'c.py', 'm.pth',
        '--launcher=slurm'
    ]


def test_scripts_print_usage_without_arguments():
    for script in ('slurm_train.sh', 'slurm_test.sh', 'slurm_casp.sh',
                   'slurm_pseudo_label.sh', 'slurm_run.sh'):
        proc = subprocess.run(
            ['bash', osp.join(REPO_ROOT, 'tools', script), 'only-one'],
            capture_output=True,
            text=True,
            timeout=60)
        assert proc.returncode == 2, script
        assert proc.stderr.startswith('# Usage:'), script


def test_slurm_dist_env():
    hosts = []
    env = slurm_dist_env(
        SLURM_ENV, first_host=lambda nodes: hosts.append(nodes) or 'gpu07')
    assert env == dict(
        RANK='3',
        WORLD_SIZE='8',
        LOCAL_RANK='1',
        MASTER_ADDR='gpu07',
        MASTER_PORT='23456')  # 20000 + job id % 10000
    assert hosts == ['gpu[07-08]']
    # set by the user: kept, and no scontrol call
    env = slurm_dist_env(
        dict(SLURM_ENV, MASTER_ADDR='head', MASTER_PORT='29999'),
        first_host=None)
    assert (env['MASTER_ADDR'], env['MASTER_PORT']) == ('head', '29999')


def test_slurm_launcher_outside_srun_says_what_to_do(monkeypatch):
    for key in list(os.environ):
        if key.startswith('SLURM_'):
            monkeypatch.delenv(key)
    with pytest.raises(DistLaunchError, match='start the tool with srun'):
        init_distributed('slurm')
    with pytest.raises(DistLaunchError, match='SLURM_NTASKS'):
        slurm_dist_env(dict(SLURM_PROCID='0', SLURM_NODELIST='n1'))
