# Copyright (c) mmcasp contributors. All rights reserved.
"""A downstream config in an unrelated folder inherits ``mmcasp::`` bases."""
import subprocess
import sys
import textwrap

from mmengine.config import Config

import mmcasp  # noqa: F401  (registers the ``mmcasp`` config package)
from mmcasp.registry import MODELS
from mmcasp.utils import config_root, register_all_modules
from tests._helpers import REPO_ROOT, subprocess_env

DOWNSTREAM = textwrap.dedent("""
    _base_ = 'mmcasp::condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py'
    model = dict(bbox_head=dict(stacked_convs=1))
    """)


def test_config_root_is_shipped():
    import os.path as osp
    assert osp.isfile(osp.join(config_root(), '_base_', 'default_runtime.py'))


def test_downstream_config_loads_and_builds(tmp_path):
    cfg_file = tmp_path / 'elsewhere' / 'my_condinst.py'
    cfg_file.parent.mkdir()
    cfg_file.write_text(DOWNSTREAM)
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.model.type == 'ClassAgnosticCondInst'
    assert cfg.model.bbox_head.stacked_convs == 1
    assert cfg.default_scope == 'mmcasp'
    register_all_modules(init_default_scope=False)
    model = MODELS.build(cfg.model)
    assert len(model.bbox_head.cls_convs) == 1


def test_downstream_config_without_mmcasp_import_fails_clearly(tmp_path):
    """Documents why a downstream script must import mmcasp first."""
    cfg_file = tmp_path / 'my_condinst.py'
    cfg_file.write_text(DOWNSTREAM)
    code = ('from mmengine.config import Config; '
            f'Config.fromfile({str(cfg_file)!r})')
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          cwd=str(tmp_path),
                          env=subprocess_env())
    assert proc.returncode != 0
    assert 'does not support to load mmcasp config' in proc.stderr
    code = 'import mmcasp; ' + code
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          cwd=str(REPO_ROOT),
                          env=subprocess_env())
    assert proc.returncode == 0, proc.stderr
