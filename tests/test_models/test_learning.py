# Copyright (c) mmcasp contributors. All rights reserved.
"""The tiny class-agnostic CondInst learns on toy data: its class-agnostic
AP on held-out toy images rises above the untrained model's."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmcasp.datasets import make_toy_dataset
from mmcasp.utils import register_all_modules, retarget_data_root
from tests._helpers import TINY_CONFIG


def _cfg(root, work_dir, name, epochs):
    cfg = Config.fromfile(TINY_CONFIG)
    retarget_data_root(cfg, root)
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    cfg.visualizer.name = f'vis_{name}'
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler = [
        dict(
            type='LinearLR',
            start_factor=0.05,
            by_epoch=False,
            begin=0,
            end=20)
    ]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.randomness = dict(seed=0)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    return cfg


@pytest.mark.slow
def test_ap_rises_above_untrained(tmp_path):
    root = str(tmp_path / 'toy')
    make_toy_dataset(
        root,
        dict(labeled=48, val=16),
        image_size=96,
        seed=5,
        show_progress=False)
    register_all_modules(init_default_scope=False)
    before = Runner.from_cfg(
        _cfg(root, str(tmp_path / 'untrained'), 'learn_untrained', 1)).test()
    runner = Runner.from_cfg(
        _cfg(root, str(tmp_path / 'trained'), 'learn_trained', 8))
    runner.train()
    after = runner.test()
    assert before['agnostic/bbox_mAP'] < 0.01
    assert after['agnostic/bbox_mAP_50'] > 0.05, after
    assert after['agnostic/bbox_mAP'] > before['agnostic/bbox_mAP'] + 0.02
    assert osp.isdir(str(tmp_path / 'trained'))
