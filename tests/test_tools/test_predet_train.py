# Copyright (c) mmcasp contributors. All rights reserved.
"""PreDet pretraining with tools/train.py under 2 gloo processes, then
transfer of its backbone and FPN into a Mask R-CNN-family target."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmcasp.surgery import build_target_model, transfer_into_model
from mmcasp.utils import safe_torch_load
from tests._helpers import REPO_ROOT, free_port, subprocess_env

PREDET = osp.join(REPO_ROOT, 'configs', 'predet',
                  'predet_r18w16_fpn_toy-6e_toy.py')
PANOPTIC = osp.join(REPO_ROOT, 'configs', 'panoptic_fpn',
                    'panoptic-fpn_r18w16_fpn_toy-12e_toy.py')


@pytest.mark.slow
def test_predet_trains_distributed_and_transfers(toy_root, tmp_path):
    work = tmp_path / 'predet'
    opts = [
        f'train_dataloader.dataset.data_root={toy_root}/',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1'
    ]
    proc = subprocess.run(
        [
            sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
            '2', '--master_port',
            str(free_port()),
            osp.join(REPO_ROOT, 'tools', 'train.py'), PREDET, '--work-dir',
            str(work), '--launcher', 'pytorch', '--cfg-options'
        ] + opts,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        cwd=str(tmp_path),
        timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'loss_infonce' in out and 'loss_crpn_cls' in out
    ckpt = work / 'epoch_1.pth'
    assert ckpt.is_file()

    model, _ = build_target_model(PANOPTIC)
    state, report = transfer_into_model(
        model, str(ckpt), parts=['backbone', 'neck'])
    src = safe_torch_load(str(ckpt), 'cpu')['state_dict']
    n_backbone = sum(k.startswith('backbone.') for k in src)
    assert len(report['parts']['backbone']['loaded']) == n_backbone
    assert len(report['parts']['neck']['loaded']) > 0
    key = 'backbone.conv1.weight'
    torch.testing.assert_close(state[key], src[key])
