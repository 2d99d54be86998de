# Copyright (c) mmcasp contributors. All rights reserved.
"""Rescaling param_scheduler configs when a stage's length changes."""
import copy
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.optim.scheduler.param_scheduler import INF
from mmengine.registry import PARAM_SCHEDULERS

from mmcasp.utils import ScheduleError, rescale_param_schedulers
from mmcasp.utils.schedules import OPEN_END

WARMUP = dict(
    type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500)
MMDET_1X = [
    WARMUP,
    dict(
        type='MultiStepLR',
        begin=0,
        end=12,
        by_epoch=True,
        milestones=[8, 11],
        gamma=0.1)
]


def _one(cfg, old_max, new_max, **kw):
    return rescale_param_schedulers([cfg], old_max, new_max, **kw)[0]


def test_open_end_matches_mmengine():
    assert OPEN_END == INF


def test_input_untouched_and_new_dicts():
    cfgs = copy.deepcopy(MMDET_1X)
    out = rescale_param_schedulers(cfgs, 12, 24)
    assert cfgs == MMDET_1X
    assert out[0] == WARMUP and out[0] is not cfgs[0]
    assert out[1]['milestones'] is not cfgs[1]['milestones']
    out[1]['milestones'].append(99)
    assert cfgs == MMDET_1X
    same = rescale_param_schedulers(cfgs, 12, 12)
    assert same == cfgs and same[1] is not cfgs[1]


def test_multistep_mmdet_1x_to_2x():
    warmup, multistep = rescale_param_schedulers(MMDET_1X, 12, 24)
    assert warmup == WARMUP  # 500 iterations whatever the epochs
    assert multistep == dict(
        MMDET_1X[1], begin=0, end=24, milestones=[16, 22], gamma=0.1)


@pytest.mark.parametrize(
    'new_max, milestones',
    [
        (13, [9, 12]),
        (4, [2, 3]),  # [3, 4] rounded; 4 is the stage's end: moved down
        (3, [1, 2]),  # [2, 3] rounded: moved to keep both decays
        (2, [1, 1]),  # one inner epoch: both decays there (gamma ** 2)
        (1, [1, 1]),  # no inner epoch at all
    ])
def test_multistep_short_stages(new_max, milestones):
    out = _one(MMDET_1X[1], 12, new_max)
    assert out['milestones'] == milestones
    assert out['end'] == new_max


def test_multistep_unreached_milestone_stays_unreached():
    cfg = dict(type='MultiStepLR', end=12, milestones=[0, 6, 20])
    assert _one(cfg, 12, 6)['milestones'] == [0, 3, 10]
    cfg = dict(type='MultiStepLR', end=12, milestones=[6, 12])
    assert _one(cfg, 12, 6)['milestones'] == [3, 6]  # 12: never reached


def test_step_lr():
    cfg = dict(type='StepLR', step_size=3, gamma=0.5, begin=0, end=12)
    assert _one(cfg, 12, 24) == dict(cfg, step_size=6, end=24)
    assert _one(cfg, 12, 2) == dict(cfg, step_size=1, end=2)


def test_cosine_predet_and_begin_end():
    predet = [
        dict(
            type='LinearLR',
            start_factor=0.01,
            by_epoch=False,
            begin=0,
            end=50),
        dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=3, T_max=3)
    ]
    warmup, cosine = rescale_param_schedulers(predet, 3, 2)
    assert warmup == predet[0]
    assert cosine == dict(predet[1], end=2, T_max=2)
    assert rescale_param_schedulers(predet, 3, 12)[1]['T_max'] == 12
    # RTMDet: cosine over the second half, stepped per iteration
    rtmdet = dict(
        type='CosineAnnealingLR',
        eta_min=0.0002,
        begin=150,
        end=300,
        T_max=150,
        by_epoch=True,
        convert_to_iter_based=True)
    assert _one(rtmdet, 300, 100) == dict(rtmdet, begin=50, end=100, T_max=50)
    # begin rounds half up to 3; T_max stays end - begin
    assert _one(rtmdet, 300, 5) == dict(rtmdet, begin=3, end=5, T_max=2)
    # a scheduler that began inside the stage still does
    assert _one(rtmdet, 300, 1)['begin'] == 0
    # T_max=None means end - begin to mmengine: nothing to change
    assert _one(dict(type='CosineAnnealingLR', end=12, T_max=None), 12, 6) \
        == dict(type='CosineAnnealingLR', end=6, T_max=None)


def test_cosine_restart():
    cfg = dict(
        type='CosineRestartLR',
        periods=[4, 8],
        restart_weights=[1, 0.5],
        eta_min=0.01,
        begin=0,
        end=12)
    assert _one(cfg, 12, 24) == dict(cfg, periods=[8, 16], end=24)
    assert _one(cfg, 12, 3) == dict(cfg, periods=[1, 2], end=3)
    assert _one(cfg, 12, 1) == dict(cfg, periods=[1, 1], end=1)


def test_linear_epoch_based_scales():
    cfg = dict(type='LinearLR', start_factor=0.1, by_epoch=True, end=4)
    assert _one(cfg, 12, 24) == dict(cfg, end=8)
    assert _one(cfg, 12, 2) == dict(cfg, end=1)  # at least one epoch


def test_iteration_warmup_rule():
    # stage length in iterations unknown: a rising Linear* or Constant* is
    # a warm-up; anything else counted in iterations spans the stage
    assert _one(WARMUP, 12, 2) == WARMUP
    constant = dict(
        type='ConstantLR', factor=1 / 3, by_epoch=False, begin=0, end=500)
    assert _one(constant, 12, 2) == constant
    falling = dict(
        type='LinearLR',
        start_factor=1.0,
        end_factor=0.01,
        by_epoch=False,
        end=12000)
    assert _one(falling, 12, 24) == dict(falling, end=24000)
    cosine = dict(type='CosineAnnealingLR', by_epoch=False, T_max=12000)
    assert _one(cosine, 12, 6) == dict(cosine, T_max=6000)
    # known length: a warm-up ends within the first tenth of the stage
    assert _one(WARMUP, 12, 24, iters_per_epoch=1000) == WARMUP
    assert _one(WARMUP, 12, 24, iters_per_epoch=10) == dict(WARMUP, end=1000)
    assert _one(
        cosine, 12, 6, iters_per_epoch=1000) == dict(
            cosine, T_max=6000)


def test_iteration_based_training():
    poly = dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        by_epoch=False,
        begin=0,
        end=80000)
    warmup = dict(type='LinearLR', by_epoch=False, begin=0, end=1500)
    out = rescale_param_schedulers([warmup, poly],
                                   80000,
                                   40000,
                                   by_epoch_train=False)
    assert out == [warmup, dict(poly, end=40000)]


def test_poly_lr():
    cfg = dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=12)
    assert _one(cfg, 12, 30) == dict(cfg, end=30)


def test_exponential_gamma_keeps_total_decay():
    cfg = dict(type='ExponentialLR', gamma=0.9, begin=0, end=12)
    out = _one(cfg, 12, 24)
    assert out['end'] == 24
    # decays at steps 1..11 before, 1..23 after
    assert out['gamma']**23 == pytest.approx(0.9**11, rel=1e-12)
    open_end = dict(type='ExponentialLR', gamma=0.9)  # stage end: same count
    assert _one(open_end, 12, 24)['gamma'] == out['gamma']
    assert 'end' not in _one(open_end, 12, 24)
    iters = dict(type='ExponentialLR', gamma=0.999, by_epoch=False)
    assert _one(iters, 12, 24)['gamma'] == pytest.approx(0.999**0.5)


def test_one_cycle():
    cfg = dict(type='OneCycleLR', eta_max=0.1, total_steps=12, pct_start=0.3)
    assert _one(cfg, 12, 24) == dict(cfg, total_steps=24)
    iters = dict(cfg, by_epoch=False, total_steps=1200, end=1200)
    assert _one(iters, 12, 6) == dict(iters, total_steps=600, end=600)


@pytest.mark.parametrize('suffix', ['LR', 'Momentum', 'ParamScheduler'])
def test_lr_momentum_and_param_variants(suffix):
    cfgs = [
        dict(type=f'CosineAnnealing{suffix}', T_max=12, end=12),
        dict(type=f'MultiStep{suffix}', milestones=[8, 11], end=12),
        dict(
            type=f'Linear{suffix}', start_factor=0.1, by_epoch=False, end=200),
    ]
    if suffix == 'ParamScheduler':
        for cfg in cfgs:
            cfg['param_name'] = 'weight_decay'
    assert rescale_param_schedulers(cfgs, 12, 24) == [
        dict(cfgs[0], T_max=24, end=24),
        dict(cfgs[1], milestones=[16, 22], end=24), cfgs[2]
    ]


def test_scoped_and_class_types():
    quad = dict(
        type='mmdet.QuadraticWarmupLR',
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True)
    assert _one(quad, 300, 60) == dict(quad, end=1)
    cls = PARAM_SCHEDULERS.get('CosineAnnealingLR')
    assert _one(dict(type=cls, T_max=12), 12, 6) == dict(type=cls, T_max=6)


def test_open_and_missing_end():
    cfg = dict(type='CosineAnnealingLR', begin=2, T_max=10, end=INF)
    assert _one(cfg, 12, 24) == dict(cfg, begin=4, T_max=20, end=INF)
    missing = dict(type='MultiStepLR', milestones=[8, 11])
    assert _one(missing, 12, 24) == dict(missing, milestones=[16, 22])


def test_containers():
    single = _one(MMDET_1X[1], 12, 24)
    assert rescale_param_schedulers(MMDET_1X[1], 12, 24) == single
    per_optimizer = dict(generator=MMDET_1X, discriminator=MMDET_1X[1:])
    assert rescale_param_schedulers(per_optimizer, 12, 24) == dict(
        generator=[WARMUP, single], discriminator=[single])
    cfg = Config(dict(param_scheduler=MMDET_1X))
    out = rescale_param_schedulers(cfg.param_scheduler, 12, 24)
    assert out == [WARMUP, single] and type(out[1]) is dict
    assert cfg.param_scheduler[1].milestones == [8, 11]


def test_unknown_type_raises_with_what_to_do():
    cfg = dict(type='MyWarmRestartLR', begin=0, end=12, cycle=4)
    with pytest.raises(ScheduleError) as err:
        rescale_param_schedulers([WARMUP, cfg], 12, 24)
    msg = str(err.value)
    assert 'param_scheduler[1]' in msg and 'MyWarmRestartLR' in msg
    assert 'cfg_options' in msg and '12 to 24 epochs' in msg
    assert isinstance(err.value, ValueError)
    # unchanged length: nothing to rescale
    assert rescale_param_schedulers([cfg], 12, 12) == [cfg]
    # a short iteration-based one is a warm-up whatever its type
    short = dict(type='MyWarmupLR', by_epoch=False, end=100)
    assert _one(short, 12, 24, iters_per_epoch=100) == short
    with pytest.raises(ScheduleError, match='MyWarmupLR'):
        _one(short, 12, 24)
    with pytest.raises(ScheduleError, match='with a type'):
        rescale_param_schedulers([dict(end=12)], 12, 24)


@pytest.mark.parametrize('args', [(0, 12), (12, 2.5), (True, 3)])
def test_bad_lengths(args):
    with pytest.raises(ValueError, match='positive int'):
        rescale_param_schedulers(MMDET_1X, *args)
    with pytest.raises(ValueError, match='iters_per_epoch'):
        rescale_param_schedulers(MMDET_1X, 12, 24, iters_per_epoch=0)


def _values(cfgs, epochs, param='lr'):
    """The value of ``param`` in each epoch (index ``epochs``: after the
    last step), stepping as mmengine's ParamSchedulerHook does."""
    params = [torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    schedulers = [
        PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=optimizer))
        for cfg in cfgs
    ]
    values = [optimizer.param_groups[0][param]]
    for _ in range(epochs):
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
        values.append(optimizer.param_groups[0][param])
    return values


EVERY = 'every k -> k * new / old'  # integer ratio: the same fractions
ENDS = 'first and last epochs'

BUILD_CASES = [
    (MMDET_1X[1:], 'lr', 12, 24, EVERY),
    (MMDET_1X[1:], 'lr', 12, 5, ENDS),
    (MMDET_1X[1:], 'lr', 12, 2, ENDS),  # milestones [1, 1]
    ([dict(type='StepLR', step_size=3, gamma=0.5,
           end=12)], 'lr', 12, 24, EVERY),
    ([dict(type='CosineAnnealingLR', T_max=12, end=12)], 'lr', 12, 24, EVERY),
    ([dict(type='CosineAnnealingLR', T_max=12, end=INF)], 'lr', 12, 24, EVERY),
    ([
        dict(
            type='CosineRestartLR',
            periods=[4, 8],
            restart_weights=[1, 0.5],
            eta_min=0.001,
            end=12)
    ], 'lr', 12, 24, EVERY),
    ([dict(type='LinearLR', start_factor=1.0, end_factor=0.1,
           end=12)], 'lr', 12, 24, ENDS),
    ([dict(type='LinearLR', start_factor=1.0, end_factor=0.1,
           end=12)], 'lr', 12, 5, ENDS),
    ([dict(type='PolyLR', eta_min=0.001, power=2.0,
           end=12)], 'lr', 12, 24, ENDS),
    ([dict(type='ExponentialLR', gamma=0.8, end=12)], 'lr', 12, 24, ENDS),
    ([dict(type='ExponentialLR', gamma=0.8)], 'lr', 12, 5, ENDS),
    ([dict(type='OneCycleLR', eta_max=0.1, total_steps=12,
           end=12)], 'lr', 12, 24, ENDS),
    ([dict(type='CosineAnnealingMomentum', T_max=12, eta_min=0.5,
           end=12)], 'momentum', 12, 24, EVERY),
    ([dict(type='MultiStepMomentum', milestones=[4, 8], gamma=0.9,
           end=12)], 'momentum', 12, 6, EVERY),
]


@pytest.mark.parametrize('cfgs, param, old_max, new_max, exact', BUILD_CASES)
def test_built_schedule_follows_the_same_curve(cfgs, param, old_max, new_max,
                                               exact):
    """Build both schedules with mmengine and compare their values.

    Exact here (up to float rounding of the chained updates, ~1e-15): each
    scheduler is a closed form of the fraction of its length that has
    passed -- ``k / T_max`` for cosine, the count of milestones (or
    multiples of ``step_size``) passed for step schedules, ``k / (end -
    begin - 1)`` for linear and poly, ``gamma ** k`` with ``k`` up to ``end -
    begin - 1`` for exponential. With an integer ratio, step ``k`` of the
    old cosine or step schedule and step ``k * ratio`` of the new one are at
    the same fraction (the halfway point of a cosine with even ``T_max``
    among them). Linear, poly, exponential and one-cycle normalise by ``end -
    begin - 1`` (or ``pct_start * total_steps - 1``), which does not scale
    with the ratio, so only their first and last epochs coincide: the last
    epoch is the end of their closed form (``end_factor``, ``eta_min``,
    ``gamma ** n``, the one-cycle minimum). The epoch after the last one is
    only compared where the schedule is still running there (open end, or
    ``T_max < end``); a cosine ending at ``T_max`` stops one step short of
    its minimum, a step that is 1/12 of the curve before and 1/24 after.
    """
    new_cfgs = rescale_param_schedulers(cfgs, old_max, new_max)
    old = _values(cfgs, old_max, param)
    new = _values(new_cfgs, new_max, param)
    if exact == EVERY:
        pairs = [(k, k * new_max // old_max) for k in range(old_max)
                 if k * new_max % old_max == 0]
        if cfgs[0].get('end', INF) >= INF:
            pairs.append((old_max, new_max))
    else:
        pairs = [(0, 0), (old_max - 1, new_max - 1)]
    if cfgs[0]['type'] == 'CosineAnnealingLR' and exact == EVERY:
        assert (old_max // 2, new_max // 2) in pairs  # the halfway point
    for k_old, k_new in pairs:
        assert math.isclose(
            new[k_new], old[k_old], rel_tol=1e-9, abs_tol=1e-15), \
            (k_old, k_new, old, new)
    if exact == ENDS:  # the stage ends on the same value
        assert old[old_max - 1] != old[0]
