# Copyright (c) mmcasp contributors. All rights reserved.
import pytest

from mmcasp.evaluation import paired_difference


def test_paired_difference_uses_per_seed_differences():
    # both series vary a lot across seeds, the difference hardly at all:
    # paired, the gain is clear
    base = [0.10, 0.30, 0.20]
    method = [0.12, 0.32, 0.215]
    r = paired_difference(method, base)
    assert r['n'] == 3
    assert r['diffs'] == pytest.approx([0.02, 0.02, 0.015])
    assert r['mean'] == pytest.approx(0.055 / 3)
    assert r['std'] == pytest.approx(0.0028868, rel=1e-4)
    # t(0.975, 2) = 4.3027
    half = 4.3027 * 0.0028868 / 3**0.5
    assert r['ci'][0] == pytest.approx(r['mean'] - half, rel=1e-3)
    assert r['distinguishable']


def test_noise_is_not_a_difference():
    r = paired_difference([0.11, 0.09, 0.10], [0.10, 0.10, 0.10])
    assert r['mean'] == pytest.approx(0.0, abs=1e-12)
    assert r['ci'][0] < 0 < r['ci'][1]
    assert not r['distinguishable']


def test_missing_values_and_single_seeds():
    r = paired_difference([0.2, None, 0.3], [0.1, 0.1, None])
    assert r['n'] == 1 and r['mean'] == pytest.approx(0.1)
    assert r['std'] is None and r['ci'] is None
    assert not r['distinguishable']
    assert paired_difference([None], [0.1]) is None
    with pytest.raises(ValueError, match='one per seed'):
        paired_difference([0.1, 0.2], [0.1])
