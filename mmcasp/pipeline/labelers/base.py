# Copyright (c) mmcasp contributors. All rights reserved.
"""The interface every pseudo labeler of the pipeline implements."""
from abc import ABCMeta
from typing import List, Mapping, Optional, Sequence, Tuple

from ..errors import PipelineError
from ..settings import (DEFAULT_LABELER, SettingsError, check_keys, closest,
                        signature_settings)

__all__ = ['BaseLabeler', 'labeled_categories', 'build_labeler']


class BaseLabeler(metaclass=ABCMeta):
    """A way to make pseudo labels for the pipeline's unlabeled split.

    A labeler is registered in :data:`mmcasp.registry.LABELERS` and built
    from the pipeline config's ``labeler`` dict: ``type`` names it, the
    other keys are its ``__init__`` arguments, whose defaults are the
    settings' defaults (unknown keys are refused with the closest known
    one). The pipeline's stages call, in this order, each with the run's
    :class:`~mmcasp.pipeline.context.PipelineContext` (``ctx``: settings,
    splits, configs, records, training; ``ctx.pseudo`` holds the labeling
    rules, δ among them):

    - :meth:`validate` before any stage runs (return what to fix);
    - :meth:`run` for the ``labeler`` stage: train, or just record what it
      will use (the pipeline writes the record, see :meth:`record`);
    - :meth:`predictor` (and :meth:`categories`, :meth:`info`) for each
      pseudo-labeling pass, through :meth:`label_entries`;
    - :meth:`stage_overrides` when a later stage's config is built.

    A labeler that makes no labels (:attr:`makes_labels` False, e.g.
    PreDet's warmup pretrains on the images alone) implements only
    :meth:`validate` and :meth:`run`.
    """
    #: the finetuned model's name in the report, unless ``casp.method``
    method = 'CaSP'
    #: whether it writes pseudo labels at all
    makes_labels = True
    #: whether its labels carry masks (a warmup on masks needs them)
    makes_masks = True
    #: whether it can keep its classes (``pseudo.class_specific``)
    class_specific_ok = True
    #: whether it can learn entities (``pretrain_on='entities'``)
    entities_ok = True
    #: whether its record names a detector (``checkpoint``, ``config``) a
    #: finetune can start from (``finetune.init_from='labeler'``)
    yields_detector = False
    #: names of settings read through ``**kwargs`` (see
    #: :meth:`known_settings`)
    extra_settings: Tuple[str, ...] = ()

    @classmethod
    def known_settings_params(cls) -> dict:
        """The ``__init__`` arguments: name -> ``inspect.Parameter``."""
        return signature_settings(cls)

    @classmethod
    def known_settings(cls) -> List[str]:
        """Settings this labeler takes: its ``__init__`` arguments (and
        :attr:`extra_settings`)."""
        return list(signature_settings(cls)) + list(cls.extra_settings)

    @classmethod
    def settings_problems(cls, settings: dict) -> List[str]:
        """Unknown keys among ``settings`` (without ``type``)."""
        return check_keys(settings, cls.known_settings(), 'labeler')

    def validate(self, ctx) -> List[str]:
        """Problems with this labeler's settings, as lines saying what to
        fix; checked before any stage runs."""
        return []

    def run(self, ctx) -> dict:
        """The ``labeler`` stage: return its record (a checkpoint, config,
        metrics, ...). Default: nothing to train."""
        return dict(wall_s=0.0)

    @classmethod
    def shapes_baseline(cls, settings: dict) -> bool:
        """Whether, with these settings (the ``labeler`` dict),
        :meth:`stage_overrides` changes the baseline: the baseline then
        depends on :meth:`training_settings` (a changed labeler retrains
        it). Default: no."""
        return False

    @classmethod
    def trained_model(cls, settings: dict) -> Optional[dict]:
        """The detector the ``labeler`` stage trains on the labeled split,
        as a training stage's settings (``config``, ``epochs``,
        ``cfg_options``) from the ``labeler`` dict ``settings``; ``None``
        when it trains none (default). The pipeline compares it with the
        baseline's (:func:`~mmcasp.pipeline.stage_graph.
        labeler_is_baseline`: one model is then trained once) and checks
        its schedule before anything trains."""
        return None

    @classmethod
    def training_settings(cls, settings: dict) -> dict:
        """The part of the ``labeler`` dict the ``labeler`` stage's result
        depends on (a change retrains it). Default: all of it."""
        return settings

    @classmethod
    def resolved_settings(cls, settings: dict) -> dict:
        """The ``labeler`` dict the pseudo labels depend on, for the
        stale-settings check. Default: as given (so that the digests of
        earlier runs hold)."""
        return settings

    def stage_overrides(self, ctx, record: Optional[dict], stage: str) -> dict:
        """Dotted config keys the labeler sets in a later training
        ``stage`` (``'warmup'``, ``'warmup_round2'``, ``'finetune'``,
        ``'baseline'``), replacing the config's value (not merged), e.g.
        DAP's backbone initialised from its classifier; the stage's own
        ``cfg_options`` still win. ``record``
        is the labeler stage's (``None`` if it has not run: raise a
        :class:`PipelineError` if the stage needs it). Default: none."""
        return {}

    def describe(self, class_specific: bool) -> Optional[str]:
        """The labeler's row name in the report (``None``: no row)."""
        return 'labeler (class-specific)' if class_specific else \
            'labeler (class-agnostic)'

    def record(self, ctx, rec: dict) -> dict:
        """``rec`` with what the report and later stages read about the
        labeler, whatever its kind."""
        cs = ctx.pseudo.class_specific
        description = self.describe(cs)
        if rec.get('same_as'):  # e.g. the baseline's model, trained once
            description += f" = the {rec['same_as']}'s model"
        return dict(
            rec,
            kind=ctx.labeler_type,
            method=self.method,
            makes_labels=self.makes_labels,
            description=description)

    def predictor(self, ctx, record: dict):
        """A predictor (``prepare(entry, img)`` and ``__call__(items)``, see
        :func:`~mmcasp.pseudo_labels.run_pseudo_labeling`) for the finished
        ``labeler`` stage ``record``."""
        raise PipelineError(f'{type(self).__name__} makes no pseudo labels')

    def split_predictor(self, ctx, record: dict, split: str):
        """The predictor for the images of data split ``split``
        (``'unlabeled'``, or e.g. ``'val'`` to score the labels against
        ground truth). Default: :meth:`predictor`, whatever the split."""
        return self.predictor(ctx, record)

    def categories(self, ctx, predictor) -> Optional[List[dict]]:
        """The output file's categories (``None``: one ``object``)."""
        return None

    def info(self, ctx, record: dict) -> dict:
        """What the output file's ``info`` says about the labeler."""
        return dict(labeler=ctx.labeler_type)

    def label_entries(
            self,
            ctx,
            record: dict,
            entries: Sequence[dict],
            out: str,
            image_root: str,
            drop_empty: bool = True,
            show_progress: bool = True,
            split: str = 'unlabeled',
            refused: Optional[Mapping[str, int]] = None) -> Optional[dict]:
        """Label ``entries`` (from
        :func:`~mmcasp.datasets.collect_images`) of data split ``split``
        into the COCO file ``out``; returns the statistics (on rank 0).
        ``refused``: the entries ``collect_images`` refused, by reason, so
        that the statistics count every listed entry."""
        from mmcasp.pseudo_labels import label_images
        predictor = self.split_predictor(ctx, record, split)
        info = self.info(ctx, record)
        if hasattr(predictor, 'forward_settings'):
            # what the labels' last bits depend on, as run
            info['forward'] = predictor.forward_settings()
        return label_images(
            predictor,
            entries,
            out,
            image_root,
            refused=refused,
            info=info,
            categories=self.categories(ctx, predictor),
            drop_empty=drop_empty,
            show_progress=show_progress,
            **ctx.pseudo.loop_kwargs())


def labeled_categories(ann_file: str, model) -> Tuple[list, list]:
    """``(categories, category_ids)`` of class-specific pseudo labels: the
    categories of ``ann_file`` (the labeled split) in the order of the
    model's classes (:func:`~mmcasp.pseudo_labels.class_categories`).

    Raises:
        PipelineError: a class of the model is not a category of the file.
    """
    from mmcasp.pseudo_labels import class_categories, model_classes
    try:
        return class_categories(model_classes(model), ann_file)
    except ValueError as e:
        raise PipelineError(f'class-specific pseudo labels: {e}') from None


def build_labeler(labeler: dict) -> BaseLabeler:
    """The registered labeler a ``casp.labeler`` dict names (``type``,
    default ``'detector'``), built with the dict's other keys.

    Raises:
        SettingsError: the type is not registered, or a setting is unknown
            to it or missing.
    """
    from mmcasp.registry import LABELERS
    settings = dict(labeler)
    kind = settings.pop('type', DEFAULT_LABELER)
    cls = LABELERS.get(kind)
    if cls is None:
        raise SettingsError(
            f'labeler.type: {kind!r} is not a registered labeler'
            f'{closest(kind, LABELERS.module_dict)}; a labeler of your '
            'own needs @LABELERS.register_module() and the module in the '
            "config's custom_imports")
    problems = cls.settings_problems(settings)
    problems += [
        f'labeler.{k}: missing (the {kind!r} labeler needs it)'
        for k, p in cls.known_settings_params().items()
        if p.default is p.empty and k not in settings
    ]
    if problems:
        raise SettingsError('the labeler settings are not valid:\n  - ' +
                            '\n  - '.join(problems))
    return cls(**settings)
