# Copyright (c) mmcasp contributors. All rights reserved.
"""The settings schema of a pipeline config's ``casp`` dict.

One typed description per section holds every default once. :func:`parse`
checks types, fills defaults and refuses an unknown key with the closest
known one (``pseudo.detla: unknown setting; did you mean 'delta'?``), so a
typo stops the run instead of adding a setting nothing reads. The
``labeler`` section is described by the registered labeler it names: its
settings are the keyword arguments of the labeler's ``__init__`` (see
:mod:`mmcasp.pipeline.labelers`).

Defaults that tools, hooks and benchmarks share with the pipeline
(δ, labels per image, ...) are those of
:class:`~mmcasp.pseudo_labels.LabelingSettings`, which the ``pseudo``
section extends.
"""
import dataclasses
import inspect
import typing
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from mmcasp.pseudo_labels import LabelingSettings
from mmcasp.utils.config_options import closest
from .errors import PipelineError

__all__ = [
    'SettingsError', 'SplitSettings', 'PanopticSettings', 'DataSettings',
    'PseudoSettings', 'StageSettings', 'FinetuneSettings', 'CaspSettings',
    'parse', 'check_keys', 'closest', 'signature_settings', 'DEFAULT_LABELER'
]

#: the labeler of a ``casp.labeler`` dict without ``type``
DEFAULT_LABELER = 'detector'


class SettingsError(PipelineError):
    """Settings of a pipeline config that cannot be used as given."""


@dataclass
class PanopticSettings:
    """COCO panoptic labels of a split (a PanopticFPN target)."""
    ann: str
    seg: str


@dataclass
class SplitSettings:
    """A COCO annotation file (or, for ``unlabeled``, any image source)
    and the folder its ``file_name`` entries are relative to; optionally
    the split's COCO panoptic labels (a PanopticFPN target) and its
    *entity* labels (things + stuff as one class ``entity``, a COCO
    instances file from ``tools/dataset_converters/panoptic2entities.py``)
    for ``pretrain_on='entities'``; for ``unlabeled`` only, the
    ``image_labels`` of its images (weak supervision: a COCO file whose
    annotations' categories are an image's labels, matched by file name;
    boxes, if any, are never read), for DAP's CAMs and classifier and
    PreDet's classification loss."""
    ann: str
    img: str
    panoptic: Optional[PanopticSettings] = None
    entities: Optional[str] = None
    image_labels: Optional[str] = None


@dataclass
class DataSettings:
    labeled: SplitSettings
    unlabeled: SplitSettings
    val: SplitSettings


@dataclass
class PseudoSettings(LabelingSettings):
    """Pseudo labels on the unlabeled split: the labeling rules and loop
    (:class:`~mmcasp.pseudo_labels.LabelingSettings`), and
    ``class_specific``: keep the labeler's classes (the papers'
    Objects(P,S) ablation) instead of one "object" class."""
    class_specific: bool = False


@dataclass
class StageSettings:
    """A training stage: its mmdet config, epochs (default the config's,
    every parameter scheduler rescaled with them) and config overrides."""
    config: str
    epochs: Optional[int] = None
    cfg_options: Dict[str, Any] = field(default_factory=dict)


@dataclass
class FinetuneSettings(StageSettings):
    """The class-specific finetune: which ``parts`` of the pretrained model
    are transferred, what the classifier starts from (``'random'``: the
    target's own init; ``'replicate'``: the one-channel class-agnostic
    classifier copied to every class, CaSP's trick; ``'copy'``: a source
    classifier of the same classes as is, refused on a 1 -> N transfer;
    see :func:`~mmcasp.surgery.transfer_state_dict`), and which model is
    transferred (``init_from``): ``'warmup'``, the last warmup (CaSP), or
    ``'labeler'``, the labeler trained on the labeled split's ground truth
    (CaSP Table 2's Objects(G,A): no pseudo labels, no warmup). The
    ``baseline`` takes the same schema; only its model, epochs and options
    count there."""
    INIT_FROM = ('warmup', 'labeler')
    CLASSIFIER = ('random', 'replicate', 'copy')
    parts: List[str] = field(
        default_factory=lambda: ['backbone', 'neck', 'head'])
    classifier: str = 'random'
    init_from: str = 'warmup'


@dataclass
class CaspSettings:
    """The ``casp`` dict of a pipeline config.

    ``labeler`` names a registered labeler (``type``, default
    ``'detector'``) and its settings. ``baseline`` defaults to the finetune
    settings. ``rounds`` > 1 re-labels the unlabeled split with the
    previous round's warmed-up model and warms up again (self-training).
    ``method`` names the finetuned model in the report (default: the
    labeler's). ``pretrain_on`` is what the labeler and the warmup learn and
    are scored on: ``'objects'`` (things, the labeled split's instances as
    one class; AP^det-a) or ``'entities'`` (CA-SSL's things + stuff, the
    splits' ``entities`` files; AP^e); the finetune is class-specific
    either way. ``stages`` is the order of the stage kinds (default
    :data:`~mmcasp.pipeline.stage_graph.DEFAULT_ORDER`); it may name stages
    of one's own, registered in :data:`mmcasp.registry.STAGES`.
    """
    PRETRAIN_ON = ('objects', 'entities')
    data: DataSettings
    warmup: StageSettings
    finetune: FinetuneSettings
    labeler: Dict[str, Any] = field(default_factory=dict)
    pseudo: PseudoSettings = field(default_factory=PseudoSettings)
    baseline: Optional[FinetuneSettings] = None
    seed: int = 0
    method: Optional[str] = None
    rounds: int = 1
    pretrain_on: str = 'objects'
    stages: Optional[List[str]] = None


def check_keys(given, known, where: str) -> List[str]:
    """Problems for keys of ``given`` that are not in ``known``."""
    return [
        f'{where}.{k}: unknown setting{closest(k, known)}' for k in given
        if k not in known
    ]


def _type_ok(value, tp) -> bool:
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin is typing.Union:
        return any(_type_ok(value, t) for t in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin in (list, List) or tp is list:
        return isinstance(value, (list, tuple))
    if origin in (dict, Dict) or tp is dict:
        return isinstance(value, dict)
    return isinstance(value, tp)


def _type_name(tp) -> str:
    if typing.get_origin(tp) is typing.Union:
        return ' or '.join(
            _type_name(t) for t in typing.get_args(tp) if t is not type(None))
    origin = typing.get_origin(tp)
    return getattr(origin or tp, '__name__', str(tp))


def _build(cls, value, where: str, problems: List[str]):
    """``value`` (a dict) as dataclass ``cls``; problems are collected."""
    if not isinstance(value, dict):
        problems.append(f'{where}: must be a dict of settings, got '
                        f'{type(value).__name__}')
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    problems += check_keys(value, fields, where)
    kwargs = {}
    for name, f in fields.items():
        if name not in value:
            if f.default is dataclasses.MISSING and \
                    f.default_factory is dataclasses.MISSING:
                problems.append(f'{where}.{name}: missing')
            continue
        kwargs[name] = _value(hints[name], value[name], f'{where}.{name}',
                              problems)
    if any(p.startswith(where) for p in problems):
        return None
    return cls(**kwargs)


def _value(tp, value, where: str, problems: List[str]):
    inner = [t for t in typing.get_args(tp) if t is not type(None)]
    target = inner[0] if typing.get_origin(tp) is typing.Union and \
        len(inner) == 1 else tp
    if dataclasses.is_dataclass(target) and value is not None:
        return _build(target, value, where, problems)
    if not _type_ok(value, tp):
        problems.append(f'{where}: must be {_type_name(tp)}, got '
                        f'{value!r}')
        return value
    if isinstance(value, tuple):
        return list(value)
    return value


def parse(casp: dict) -> CaspSettings:
    """The typed, complete settings of a ``casp`` dict.

    Raises:
        SettingsError: every unknown key, missing setting and wrong type,
            one per line.
    """
    problems: List[str] = []
    settings = _build(CaspSettings, dict(casp), 'casp', problems)
    if settings is not None and settings.rounds < 1:
        problems.append(f'casp.rounds: must be >= 1, got {settings.rounds}')
    if settings is not None:
        problems += _choice_problems(settings)
    if settings is not None and \
            settings.pretrain_on not in CaspSettings.PRETRAIN_ON:
        problems.append(
            f'casp.pretrain_on: must be one of {CaspSettings.PRETRAIN_ON}, '
            f'got {settings.pretrain_on!r}')
    if problems:
        raise SettingsError('the pipeline settings are not valid:\n  - ' +
                            '\n  - '.join(
                                p.replace('casp.', '', 1) for p in problems))
    if settings.baseline is None:
        settings.baseline = settings.finetune
    return settings


def _choice_problems(settings: CaspSettings) -> List[str]:
    """Settings whose value is not one of its choices."""
    ft = settings.finetune
    return [
        f'casp.finetune.{key}: must be one of {choices}, got {value!r}'
        for key, value, choices in (('init_from', ft.init_from,
                                     FinetuneSettings.INIT_FROM),
                                    ('classifier', ft.classifier,
                                     FinetuneSettings.CLASSIFIER))
        if value not in choices
    ]


def signature_settings(cls) -> Dict[str, inspect.Parameter]:
    """The keyword arguments of ``cls.__init__`` (a component whose
    signature is its settings schema)."""
    params = inspect.signature(cls.__init__).parameters
    return {
        k: p
        for k, p in params.items()
        if k != 'self' and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
