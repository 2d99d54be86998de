# Copyright (c) mmcasp contributors. All rights reserved.
"""The pipeline's stage graph, as data.

Which stages a run has, in what order, what each reads and what its result
depends on (a done stage made with other values of those settings is
stale), and how self-training rounds expand:

==========  ===================  ===================================  =====
stage       reads                depends on (``casp`` keys)           runs
==========  ===================  ===================================  =====
labeler     --                   data, labeler, seed                  once
pseudo      labeler (round 1),   data, labeler, pseudo, seed          per
            warmup of round r-1                                       round
warmup      pseudo               data, labeler, pseudo, warmup, seed  per
                                                                      round
finetune    the last warmup (or  ... warmup's, finetune               once
            the labeler: G,A)
baseline    --                   data, finetune's model, seed         once
evaluate    finetune, baseline   -- (runs again for new eval sets)    once
==========  ===================  ===================================  =====

(:data:`BUILTIN` holds this table; :func:`stage_dependencies` its
refinements: the labeler's own split of its settings, ``pretrain_on``,
``rounds``, what the baseline takes from the finetune settings.) With
``rounds`` = R > 1 the per-round stages repeat as a block:
``labeler, pseudo, warmup, pseudo_round2, warmup_round2, ..., finetune,
baseline, evaluate`` (:func:`expand`).

A stage is identified by :class:`StageId` (its kind and round). The names
``warmup_round2`` exist only where a name must be a string: stage folders
and records on disk, and the ``--stages`` a user types
(:meth:`StageId.parse`).

A stage of one's own is a class registered in
:data:`mmcasp.registry.STAGES` with its :class:`StageSpec`
(:class:`~mmcasp.pipeline.stages.BaseStage`); the pipeline config's
``casp.stages`` puts it into the order.
"""
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = [
    'StageSpec', 'StageId', 'BUILTIN', 'DEFAULT_ORDER', 'default_order',
    'expand', 'select', 'stage_dependencies', 'labeler_is_baseline'
]


@dataclass(frozen=True)
class StageSpec:
    """What the pipeline knows of a stage kind.

    Args:
        inputs: The kinds whose records it reads (of the same round for a
            per-round input; ``pseudo`` of round r > 1 reads the warmup of
            round r - 1 instead of the labeler).
        depends_on: The ``casp`` settings (top-level keys) its result
            depends on; a done stage made with other values is stale.
        per_round: Repeated in each self-training round.
        records_settings: Its record holds the settings it was made with
            (``evaluate`` has none: it scores whatever was trained).
    """
    inputs: Tuple[str, ...] = ()
    depends_on: Tuple[str, ...] = ()
    per_round: bool = False
    records_settings: bool = True


#: The built-in stages, in run order (see the module docstring).
BUILTIN: Dict[str, StageSpec] = {
    'labeler':
    StageSpec(depends_on=('data', 'labeler', 'seed')),
    'pseudo':
    StageSpec(
        inputs=('labeler', ),
        depends_on=('data', 'labeler', 'pseudo', 'seed'),
        per_round=True),
    'warmup':
    StageSpec(
        inputs=('pseudo', ),
        depends_on=('data', 'labeler', 'pseudo', 'warmup', 'seed'),
        per_round=True),
    'finetune':
    StageSpec(
        inputs=('warmup', ),
        depends_on=('data', 'labeler', 'pseudo', 'warmup', 'finetune',
                    'seed')),
    'baseline':
    StageSpec(depends_on=('data', 'baseline', 'seed')),
    'evaluate':
    StageSpec(inputs=('finetune', 'baseline'), records_settings=False),
}
#: The order of a run whose config gives no ``casp.stages``.
DEFAULT_ORDER: Tuple[str, ...] = tuple(BUILTIN)
#: The stages a finetune from the labeler (``finetune.init_from``
#: ``'labeler'``, CaSP Table 2's Objects(G,A)) has no use for.
PRETRAINING_STAGES = ('pseudo', 'warmup')


def default_order(casp: dict) -> Tuple[str, ...]:
    """The stage order of a ``casp`` dict without ``stages``:
    :data:`DEFAULT_ORDER`, without pseudo labels and warmup when the
    finetune starts from the labeler."""
    if (casp.get('finetune') or {}).get('init_from') == 'labeler':
        return tuple(s for s in DEFAULT_ORDER if s not in PRETRAINING_STAGES)
    return DEFAULT_ORDER


@dataclass(frozen=True)
class StageId:
    """One stage of a run: its kind and its self-training round."""
    kind: str
    round: int = 1

    @property
    def name(self) -> str:
        """Its folder (and record) name: ``warmup``, ``warmup_round2``."""
        return self.kind if self.round == 1 else \
            f'{self.kind}_round{self.round}'

    @classmethod
    def parse(cls, name: str) -> 'StageId':
        """The inverse of :attr:`name` (``'warmup_round2'`` -> kind
        ``warmup``, round 2), for names typed by a user or read from
        disk."""
        kind, sep, r = name.rpartition('_round')
        if sep and r.isdigit() and int(r) > 1:
            return cls(kind, int(r))
        return cls(name)

    def __str__(self) -> str:
        return self.name


def expand(order: Sequence[str], specs: Mapping[str, StageSpec],
           rounds: int) -> List[StageId]:
    """Every stage of a run: ``order`` with each run of consecutive
    per-round kinds repeated for rounds 1..``rounds`` as a block."""
    out: List[StageId] = []
    block: List[str] = []
    for kind in list(order) + [None]:
        if kind is not None and specs[kind].per_round:
            block.append(kind)
            continue
        out += [StageId(k, r) for r in range(1, rounds + 1) for k in block]
        block = []
        if kind is not None:
            out.append(StageId(kind))
    return out


def select(plan: Sequence[StageId], specs: Mapping[str, StageSpec],
           wanted: Optional[Sequence[str]]) -> List[StageId]:
    """The stages of ``plan`` that ``wanted`` (names as ``--stages`` takes
    them; ``None``: all) asks for, in plan order.

    A kind names its first round; when every per-round kind is named,
    every round runs (round r + 1 needs round r's warmup); a later round
    by its own name (``pseudo_round2``).
    """
    if not wanted:
        return list(plan)
    wanted = set(wanted)
    per_round = {s.kind for s in plan if specs[s.kind].per_round}
    all_rounds = bool(per_round) and per_round <= wanted
    return [
        s for s in plan if s.name in wanted or (
            s.kind in wanted and (s.round == 1 or all_rounds))
    ]


def stage_dependencies(casp: dict,
                       labeler_cls=None) -> Dict[str, Dict[str, object]]:
    """Per stage name, the settings its result depends on: the ``casp``
    sub-dicts :attr:`StageSpec.depends_on` names, refined:

    * the labeler stage depends on what the labeler trains from
      (``labeler_cls.training_settings``: DAP's classifier, not its CAM
      rules); later stages on every labeling rule, defaults resolved
      (``resolved_settings``: a changed default is a changed setting);
    * the baseline depends on the data and the finetune's model and
      epochs, not on what is transferred (``parts``, ``classifier``); a
      missing or ``None`` ``baseline`` is the finetune's; with a labeler
      that shapes it (DAP's backbone from its classifier), on that too;
    * a finetune from the labeler (``finetune.init_from='labeler'``) on
      the data, what the labeler trains from, its own settings and the
      seed;
    * ``pretrain_on``, only when not ``'objects'`` (the digests of earlier
      runs hold);
    * each round r > 1 of a per-round stage on the warmup's settings and
      r; the finetune on the number of rounds.

    ``labeler_cls``: the registered labeler class of ``casp['labeler']``
    (``None``: looked up; an unknown type is reported by the checks).
    Built-in stages only: a stage of one's own depends on its
    ``StageSpec.depends_on``.
    """
    labeler = casp.get('labeler') or {}
    out = {
        stage: {
            k: casp.get(k)
            for k in BUILTIN[stage].depends_on
        }
        for stage in ('labeler', 'pseudo', 'warmup', 'finetune')
    }
    ft = {
        k: v
        for k, v in (casp.get('baseline') or casp['finetune']).items()
        if k not in ('parts', 'classifier')
    }
    out['baseline'] = dict(
        data=casp['data'], finetune=ft, seed=casp.get('seed'))
    cls = labeler_cls or _labeler_class(labeler)
    if cls is not None:
        out['labeler']['labeler'] = cls.training_settings(labeler)
        for stage in ('pseudo', 'warmup', 'finetune'):
            out[stage]['labeler'] = cls.resolved_settings(labeler)
        if cls.shapes_baseline(labeler):
            out['baseline']['labeler'] = cls.training_settings(labeler)
    if casp['finetune'].get('init_from') == 'labeler':
        # Objects(G,A): the labeler's model, not pseudo labels or a warmup
        out['finetune'] = dict(
            data=casp['data'],
            labeler=out['labeler']['labeler'],
            finetune=casp['finetune'],
            seed=casp.get('seed'))
    if casp.get('pretrain_on', 'objects') != 'objects':
        for stage in ('labeler', 'pseudo', 'warmup', 'finetune'):
            out[stage] = dict(out[stage], pretrain_on=casp['pretrain_on'])
    rounds = casp.get('rounds') or 1
    if rounds > 1:
        for r in range(2, rounds + 1):
            for kind in ('pseudo', 'warmup'):
                out[StageId(kind, r).name] = dict(out['warmup'], round=r)
        out['finetune'] = dict(out['finetune'], rounds=rounds)
    return out


def labeler_is_baseline(casp: dict) -> bool:
    """Whether the ``labeler`` stage would train the baseline's very model:
    a class-specific labeler whose training (what its
    ``BaseLabeler.trained_model`` returns: the config, epochs and options
    of the detector it trains) is the baseline's, on the same data with
    the same seed (the papers' class-specific pseudo-label ablation, whose
    labeler is the detector trained on the labeled split, as the baseline
    is). The pipeline then
    trains that model once. Compares the stages' dependencies
    (:func:`stage_dependencies`), so anything that makes the two differ
    (another config, epoch count, option, ``pretrain_on``) means two
    trainings."""
    labeler = casp.get('labeler') or {}
    cls = _labeler_class(labeler)
    trained = cls.trained_model(labeler) if cls is not None else None
    specific = (casp.get('pseudo') or {}).get('class_specific')
    if trained is None or not specific:
        return False
    deps = stage_dependencies(casp, cls)
    lab, base = dict(deps['labeler']), dict(deps['baseline'])
    lab.pop('labeler')

    def model(d):
        d = dict(d or {})
        d['cfg_options'] = d.get('cfg_options') or {}
        return d

    return model(trained) == model(base.pop('finetune')) and lab == base


def _labeler_class(labeler: dict):
    """The registered labeler class a ``labeler`` dict names, or ``None``
    (an unknown type is reported by the pipeline's checks)."""
    from mmcasp.registry import LABELERS
    from .settings import DEFAULT_LABELER
    return LABELERS.get(labeler.get('type', DEFAULT_LABELER))
