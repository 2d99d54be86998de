# Copyright (c) mmcasp contributors. All rights reserved.
import json

import pytest

from mmcasp.evaluation import curve_flattening, epoch_loss_curve


def _write(dir_, lines):
    dir_.mkdir(parents=True)
    (dir_ / 'scalars.json').write_text(''.join(
        json.dumps(rec) + '\n' for rec in lines))


def test_epoch_loss_curve_means_per_epoch_and_resume_replaces(tmp_path):
    _write(
        tmp_path / '20260101_000000' / 'vis_data',
        [
            dict(loss=4.0, epoch=1, iter=10, step=10),
            dict(loss=2.0, epoch=1, iter=20, step=20),
            dict(loss=9.0, epoch=2, iter=30,
                 step=30),  # killed run's last line
            # a validation line has no loss
            dict(**{'coco/bbox_mAP': 0.1}, step=2),
        ])
    # resumed from epoch 1: its line of step 30 replaces the killed one
    _write(tmp_path / '20260101_010000' / 'vis_data', [
        dict(loss=1.0, epoch=2, iter=30, step=30),
        dict(loss=0.5, epoch=2, iter=40, step=40),
    ])
    curve = epoch_loss_curve(str(tmp_path))
    assert curve == {1: 3.0, 2: pytest.approx(0.75)}
    assert list(curve) == [1, 2]
    assert epoch_loss_curve(str(tmp_path / 'nothing')) == {}


def test_curve_flattening():
    falling = {e: 10.0 - e for e in range(1, 8)}  # 9 ... 3
    assert curve_flattening(falling, last=5) == pytest.approx((3 - 8) / 8)
    flat = {e: 2.0 for e in range(1, 8)}
    assert curve_flattening(flat, last=5) == 0
    assert curve_flattening({1: 1.0, 2: 1.0}, last=5) is None
