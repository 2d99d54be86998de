# Copyright (c) mmcasp contributors. All rights reserved.
"""``mim train mmcasp <config>`` from a normal (non-editable) install."""
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from tests._helpers import REPO_ROOT, subprocess_env, toy_cfg_options

MIM = shutil.which('mim') or osp.join(osp.dirname(sys.executable), 'mim')
CONFIG_NAME = 'condinst-ca_r18w16_fpn_toy-12e_toy-objects.py'


@pytest.mark.skipif(
    not osp.isfile(MIM),
    reason='the mim CLI is not installed (tools/bootstrap.sh installs it)')
def test_mim_train_from_non_editable_install(toy_root, tmp_path):
    # Build from a copy so that no build/ folder lands in the checkout.
    src = tmp_path / 'src'
    shutil.copytree(
        REPO_ROOT,
        src,
        symlinks=True,
        ignore=shutil.ignore_patterns('.git', '.venv', 'work_dirs', 'data',
                                      'build', '*.egg-info', '__pycache__',
                                      '.pytest_cache'))
    site = tmp_path / 'site'
    proc = subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--no-deps',
        '--no-build-isolation', '--no-compile', '--target',
        str(site),
        str(src)
    ],
                          capture_output=True,
                          text=True,
                          env=subprocess_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    installed = site / 'mmcasp' / '.mim'
    # configs and tools are real files in the wheel, not links
    assert not osp.islink(installed / 'configs')
    assert (installed / 'configs' / 'condinst' / CONFIG_NAME).is_file()
    assert (installed / 'tools' / 'train.py').is_file()

    work_dir = tmp_path / 'work'
    env = subprocess_env(PYTHONPATH=str(site))
    proc = subprocess.run(
        [
            MIM, 'train', 'mmcasp', CONFIG_NAME, '--work-dir',
            str(work_dir), '--cfg-options'
        ] + toy_cfg_options(toy_root),
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        env=env,
        timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    # mim found the config inside the installed package, not the checkout
    assert str(installed / 'configs') in out or \
        str(site / 'mmcasp') in out, out[-2000:]
    assert 'Training finished successfully' in out
    assert osp.isfile(work_dir / 'epoch_1.pth')
    # the Runner dumped the resolved config of the installed package
    assert (work_dir / CONFIG_NAME).is_file()

    # the whole pipeline is a mim command too: mim run mmcasp casp CONFIG.
    # (mim answers --help/-h itself.) With no config, casp.py takes its
    # default (the toy demo) from the installed package and, given a data
    # root that does not exist, stops before any work naming what to fix.
    proc = subprocess.run([
        MIM, 'run', 'mmcasp', 'casp', '--work-dir',
        str(tmp_path / 'casp'), '--data-root',
        str(tmp_path / 'no_data')
    ],
                          capture_output=True,
                          text=True,
                          cwd=str(tmp_path),
                          env=env,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert 'data.labeled.ann' in out and 'does not exist' in out, out[-3000:]
    assert (installed / 'tools' / 'casp.py').is_file()


@pytest.mark.skipif(
    not osp.isfile(MIM),
    reason='the mim CLI is not installed (tools/bootstrap.sh installs it)')
def test_mim_finds_configs_and_tools_of_this_install():
    """Where mim looks (``<site-packages>/mmcasp/.mim``) holds the configs
    and tools: a real folder for a normal install, the link
    tools/bootstrap.sh adds for the editable one. The README's
    ``mim train mmcasp <config>`` runs in tests/test_docs.py."""
    proc = subprocess.run([
        sys.executable, '-c', 'from mim.utils import get_installed_path; '
        "print(get_installed_path('mmcasp'))"
    ],
                          capture_output=True,
                          text=True,
                          env=subprocess_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    mim_root = proc.stdout.strip().splitlines()[-1]
    if not osp.isdir(mim_root):
        pytest.fail(f'mim looks for mmcasp in {mim_root}, which does not '
                    'exist: an editable install without the link '
                    'tools/bootstrap.sh makes (see docs/get_started.md#mim)')
    assert osp.isfile(
        osp.join(mim_root, '.mim', 'configs', 'condinst', CONFIG_NAME))
    assert osp.isfile(osp.join(mim_root, '.mim', 'tools', 'train.py'))
    if osp.islink(mim_root):  # editable: the link points at this checkout
        assert osp.realpath(mim_root) == osp.realpath(
            osp.join(REPO_ROOT, 'mmcasp'))
