# Copyright (c) mmcasp contributors. All rights reserved.
"""The finetune's transfer is checked on the two models before anything
trains: the class-agnostic classifier can be replicated into the
class-specific one, not copied."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmcasp.surgery.shape_check import transfer_problems
from tests._helpers import REPO_ROOT

CONFIGS = osp.join(REPO_ROOT, 'configs')
PAIRS = [
    ('condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py',
     'condinst/condinst_r18w16_fpn_toy-12e_toy.py'),
    # mmdet's EfficientNet reads tensor values while it is built
    ('../benchmarks/configs/condinst-ca_effl0_fpn_36e_coco-mini-objects.py',
     '../benchmarks/configs/condinst_effl0_fpn_36e_coco-mini.py'),
]


@pytest.mark.parametrize('src, dst', PAIRS, ids=['toy', 'effl0'])
def test_replicate_fits_copy_does_not(src, dst):
    src = Config.fromfile(osp.join(CONFIGS, src))
    dst = Config.fromfile(osp.join(CONFIGS, dst))
    parts = ['backbone', 'neck', 'head', 'mask_head']
    assert transfer_problems(src, dst, parts, 'random') is None
    assert transfer_problems(src, dst, parts, 'replicate') is None
    why = transfer_problems(src, dst, parts, 'copy')
    assert why.startswith('classifier copy: source (1, ')
    assert 'use replicate or random' in why
