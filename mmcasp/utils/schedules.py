# Copyright (c) mmcasp contributors. All rights reserved.
"""Rescale mmengine parameter schedulers to a new training length.

When a stage runs for ``new_max`` instead of ``old_max`` epochs (or
iterations), :func:`rescale_param_schedulers` stretches or squeezes its
``param_scheduler`` list so that the same curve is followed over the new
length: a cosine that covered 12 epochs covers the new 2 or 24 epochs instead
of stopping at 17% of its curve or staying at its minimum for half the run.

The rules, with ``r = new_max / old_max``:

* **Unit.** ``old_max``/``new_max`` count epochs when ``by_epoch_train``
  (``EpochBasedTrainLoop``) and iterations otherwise (``IterBasedTrainLoop``).
  A scheduler counts epochs when its ``by_epoch`` is True (mmengine's default,
  also with ``convert_to_iter_based=True``: its values are still epochs) and
  iterations otherwise. A scheduler's *stage length* is the stage in its own
  unit: ``old_max``/``new_max`` when the units agree, ``max * iters_per_epoch``
  for an iteration-based scheduler in epoch-based training when
  ``iters_per_epoch`` is given, and unknown otherwise.
* **Warm-ups stay.** An iteration-based scheduler (``by_epoch=False``) is a
  warm-up, and is returned unchanged, when

  - its stage length is known and its ``end`` is at most
    :data:`WARMUP_FRACTION` (1/10) of the old one (mmdet's 500 iterations of
    a 1x COCO schedule: 0.6%), or
  - its stage length is unknown and it only holds the value down until it
    reaches the base value: ``Constant*``, ``QuadraticWarmup*`` or a
    ``Linear*`` whose ``start_factor < end_factor``.

  A warm-up length in iterations does not depend on the number of epochs.
  Every other scheduler, iteration-based ones included, is rescaled.
* **Positions** (``begin``, ``end``) become ``round(x * r)`` (half up), with
  ``end >= begin + 1``; a scheduler that began inside the old stage begins
  inside the new one. An open ``end`` (``>= 1e9``, mmengine's ``INF``) stays
  open and a missing ``end`` stays missing (the runner then uses the stage's
  end, which follows by itself).
* **Offsets from** ``begin`` (``T_max``, OneCycle's ``total_steps``, the
  running sums of CosineRestart's ``periods``) are rescaled as the positions
  ``begin + x``, so ``T_max == end - begin`` stays so; at least 1; ``None``
  stays ``None`` (mmengine derives it from ``begin``/``end``).
* **Milestones** (offsets from ``begin``, see mmengine's ``MultiStep*``) are
  rounded the same way; those the old stage reached are then kept within the
  new stage (``1 <= m <= steps - 1``) and strictly increasing by moving
  colliding ones as little as possible, so every decay still happens and the
  stage ends on the same value. Only when the stage has fewer inner epochs
  than milestones are some kept as *duplicates* (e.g. 1x ``[8, 11]`` over 2
  epochs gives ``[1, 1]``): mmengine counts milestones, so a milestone given
  twice decays by ``gamma ** 2`` at once. They are not collapsed, which would
  end the stage on a different value. Milestones the old stage never reached
  stay beyond the new one.
* **Lengths** (StepLR's ``step_size``) become ``round(x * r)``, at least 1.
* **Per-step factors** (Exponential's ``gamma``) become
  ``gamma ** (n_old / n_new)``, with ``n`` the number of decays inside the
  stage (``min(end, stage) - begin - 1``), so the total decay over the stage
  is unchanged; ``gamma ** (1 / r)`` when the stage length is unknown and the
  end open.
* **Everything else is left alone**: values and ratios (``eta_min``,
  ``eta_min_ratio``, ``eta_max``, ``factor``, ``start_factor``,
  ``end_factor``, ``power``, ``pct_start``, ``restart_weights``,
  ``convert_to_iter_based``, ...) and ReduceOnPlateau's ``patience`` and
  ``cooldown``, which count validations rather than epochs.

A type outside :data:`SCALE_RULES` raises :class:`ScheduleError` unless it
is a warm-up by length: its arguments cannot be known to count epochs or not.
"""
import copy
import math
from typing import (Callable, Dict, List, Mapping, NamedTuple, Optional,
                    Sequence, Union)

__all__ = [
    'ScheduleError', 'rescale_param_schedulers', 'SCALE_RULES', 'OPEN_END',
    'WARMUP_FRACTION'
]

#: mmengine's ``INF``; an ``end`` at or above it is an open end.
OPEN_END = int(1e9)
#: An iteration-based scheduler ending within this fraction of the old stage
#: is a warm-up.
WARMUP_FRACTION = 0.1

#: scheduler family -> {argument: how it scales} (see the module docstring);
#: ``begin`` and ``end`` are positions for every family. A type is
#: ``[scope.]<family>{LR,Momentum,ParamScheduler}``.
SCALE_RULES: Dict[str, Dict[str, str]] = {
    'Constant': {},
    'Linear': {},
    'Poly': {},
    'QuadraticWarmup': {},  # mmdet
    'ReduceOnPlateau': {},
    'CosineAnnealing': dict(T_max='offset'),
    'OneCycle': dict(total_steps='offset'),
    'CosineRestart': dict(periods='periods'),
    'MultiStep': dict(milestones='milestones'),
    'Step': dict(step_size='length'),
    'Exponential': dict(gamma='decay'),
}
_SUFFIXES = ('ParamScheduler', 'Momentum', 'LR')
#: families that only hold the value below its base until they end
_WARMUP_FAMILIES = ('Constant', 'QuadraticWarmup')


class ScheduleError(ValueError):
    """A parameter scheduler that cannot be rescaled to a new length."""


class _Span(NamedTuple):
    """Where one scheduler runs, before and after rescaling.

    ``old_steps``/``new_steps``: how many of its steps fall inside the stage
    (``min(end, stage) - begin``); None when unknown.
    """
    ratio: float
    begin: int
    new_begin: int
    old_steps: Optional[float]
    new_steps: Optional[float]


def _round(x: float) -> int:
    """Round half up (Python's ``round`` rounds half to even)."""
    return int(math.floor(x + 0.5))


def _offset(x: float, span: _Span) -> int:
    return _round((span.begin + x) * span.ratio) - span.new_begin


def _scale_offset(value, span: _Span):
    if value is None:
        return None
    return max(1, _offset(value, span))


def _scale_length(value, span: _Span):
    return max(1, _round(value * span.ratio))


def _increasing(values: List[int], lo: int, hi: Optional[int]) -> List[int]:
    """Make sorted ``values`` strictly increasing within ``[lo, hi]``, moving
    each as little as possible; with more values than room, clamp and keep
    duplicates."""
    if hi is not None and len(values) > hi - lo + 1:
        return [min(max(v, lo), max(hi, lo)) for v in values]
    out: List[int] = []
    for v in values:  # forward: at least lo, above the previous one
        out.append(max(v, lo, out[-1] + 1 if out else lo))
    if hi is not None:  # backward: at most hi, below the next one
        for i in reversed(range(len(out))):
            nxt = out[i + 1] - 1 if i + 1 < len(out) else hi
            out[i] = min(out[i], nxt)
    return out


def _scale_milestones(value, span: _Span):
    old = sorted(value)
    reached = [m for m in old if span.old_steps is None or m < span.old_steps]
    beyond = old[len(reached):]
    zeros = [0 for m in reached if m <= 0]  # decays at once; stays so
    hi = None if span.new_steps is None else int(span.new_steps) - 1
    inner = [_offset(m, span) for m in reached if m > 0]
    floor = -1 if span.new_steps is None else int(span.new_steps)
    return zeros + _increasing(
        inner, 1, hi) + [max(_offset(m, span), floor) for m in beyond]


def _scale_periods(value, span: _Span):
    sums = [sum(value[:i + 1]) for i in range(len(value))]
    new_sums = _increasing([_offset(s, span) for s in sums], 1, None)
    return [b - a for a, b in zip([0] + new_sums[:-1], new_sums)]


def _scale_decay(value, span: _Span):
    if span.old_steps is None or span.new_steps is None:
        return value**(1 / span.ratio)
    n_old, n_new = span.old_steps - 1, span.new_steps - 1
    if n_old <= 0 or n_new <= 0:  # no decay happens in one of the stages
        return value
    return value**(n_old / n_new)


_SCALERS: Dict[str, Callable] = dict(
    offset=_scale_offset,
    length=_scale_length,
    milestones=_scale_milestones,
    periods=_scale_periods,
    decay=_scale_decay)


def _type_name(cfg: Mapping) -> str:
    typ = cfg.get('type')
    name = typ if isinstance(typ, str) else getattr(typ, '__name__', '')
    return name.rsplit('.', 1)[-1]  # drop a scope: mmdet.QuadraticWarmupLR


def _family(name: str) -> Optional[str]:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[:-len(suffix)] in SCALE_RULES:
            return name[:-len(suffix)]
    return None


def _is_open(end) -> bool:
    return end is not None and end >= OPEN_END


def _stage_lengths(by_epoch: bool, old_max: int, new_max: int,
                   by_epoch_train: bool, iters_per_epoch: Optional[int]):
    """The old and new stage lengths in a scheduler's unit, or Nones."""
    if by_epoch == by_epoch_train:
        return old_max, new_max
    if by_epoch_train and iters_per_epoch:
        return old_max * iters_per_epoch, new_max * iters_per_epoch
    return None, None


def _is_warmup(cfg: Mapping, family: Optional[str],
               old_len: Optional[int]) -> bool:
    if cfg.get('by_epoch', True):
        return False
    end = cfg.get('end')
    if old_len is not None:
        return (end is not None and not _is_open(end)
                and end <= old_len * WARMUP_FRACTION)
    if family == 'Linear':
        return cfg.get('start_factor', 1 / 3) < cfg.get('end_factor', 1.0)
    return family in _WARMUP_FAMILIES


def _steps(begin: int, end, stage: Optional[int]) -> Optional[float]:
    """Steps of a scheduler inside the stage; None when unknown."""
    if end is None or _is_open(end):
        end = stage
    elif stage is not None:
        end = min(end, stage)
    return None if end is None else end - begin


def _rescale_one(cfg: Mapping, index: int, old_max: int, new_max: int,
                 by_epoch_train: bool, iters_per_epoch: Optional[int]) -> dict:
    new = copy.deepcopy(dict(cfg))
    name = _type_name(cfg)
    family = _family(name)
    old_len, new_len = _stage_lengths(
        cfg.get('by_epoch', True), old_max, new_max, by_epoch_train,
        iters_per_epoch)
    if _is_warmup(cfg, family, old_len):
        return new
    if family is None:
        unit = 'epochs' if by_epoch_train else 'iterations'
        raise ScheduleError(
            f'param_scheduler[{index}] ({name or cfg.get("type")!r}) cannot '
            f'be rescaled from {old_max} to {new_max} {unit}: mmcasp does not '
            'know which of its arguments count epochs or iterations. Set the '
            "stage's param_scheduler in cfg_options (e.g. "
            "cfg_options={'param_scheduler': [...]}) for the new length, or "
            'add its family to mmcasp.utils.schedules.SCALE_RULES.')
    ratio = new_max / old_max
    begin, end = cfg.get('begin', 0), cfg.get('end')
    new_begin = _round(begin * ratio)
    if old_len is not None and begin < old_len:
        new_begin = min(new_begin, new_len - 1)
    if 'begin' in cfg or new_begin:
        new['begin'] = new_begin
    new_end = end
    if end is not None and not _is_open(end):
        new_end = max(new_begin + 1, _round(end * ratio))
        new['end'] = new_end
    span = _Span(ratio, begin, new_begin, _steps(begin, end, old_len),
                 _steps(new_begin, new_end, new_len))
    for key, kind in SCALE_RULES[family].items():
        if key in new:
            new[key] = _SCALERS[kind](new[key], span)
    return new


def rescale_param_schedulers(
        schedulers: Union[Sequence[Mapping], Mapping],
        old_max: int,
        new_max: int,
        by_epoch_train: bool = True,
        iters_per_epoch: Optional[int] = None) -> Union[list, dict]:
    """Rescale mmengine parameter scheduler configs to a new stage length.

    The rules (what scales how, what is a warm-up) are in the module
    docstring of :mod:`mmcasp.utils.schedules`.

    Args:
        schedulers (list[dict] | dict): A ``param_scheduler`` config: a list
            of scheduler dicts, one dict, or a dict of such per optimizer.
            Not modified.
        old_max (int): The length the schedulers were written for:
            ``train_cfg.max_epochs`` (or ``max_iters``, see
            ``by_epoch_train``).
        new_max (int): The stage's new length, in the same unit.
        by_epoch_train (bool): Whether ``old_max``/``new_max`` count epochs
            (``EpochBasedTrainLoop``) rather than iterations. Defaults to
            True.
        iters_per_epoch (int, optional): Iterations in one epoch, when known;
            lets iteration-based schedulers in epoch-based training be told
            apart as warm-ups by their length. Defaults to None.

    Returns:
        list[dict] | dict: New dicts of the same shape as ``schedulers``.

    Raises:
        ScheduleError: A scheduler whose type has no rule and is no
            iteration-based warm-up, or a scheduler without ``type``.
    """
    for name, value in (('old_max', old_max), ('new_max', new_max)):
        if not _is_count(value):
            raise ValueError(f'{name} must be a positive int, got {value!r}')
    if iters_per_epoch is not None and not _is_count(iters_per_epoch):
        raise ValueError('iters_per_epoch must be None or a positive int, '
                         f'got {iters_per_epoch!r}')
    args = (old_max, new_max, by_epoch_train, iters_per_epoch)
    if isinstance(schedulers, Mapping):
        if 'type' in schedulers:
            return _rescale_list([schedulers], *args)[0]
        return {  # one list per optimizer
            key: rescale_param_schedulers(value, *args)
            for key, value in schedulers.items()
        }
    return _rescale_list(schedulers, *args)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) \
        and value >= 1


def _rescale_list(schedulers: Sequence[Mapping], old_max: int, new_max: int,
                  by_epoch_train: bool,
                  iters_per_epoch: Optional[int]) -> list:
    out = []
    for index, cfg in enumerate(schedulers):
        if not isinstance(cfg, Mapping) or 'type' not in cfg:
            raise ScheduleError(
                f'param_scheduler[{index}] is not a scheduler config with a '
                f'type: {cfg!r}')
        if old_max == new_max:
            out.append(copy.deepcopy(dict(cfg)))
        else:
            out.append(
                _rescale_one(cfg, index, old_max, new_max, by_epoch_train,
                             iters_per_epoch))
    return out
