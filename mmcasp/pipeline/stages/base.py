# Copyright (c) mmcasp contributors. All rights reserved.
"""The interface of a pipeline stage."""
import logging
from abc import ABCMeta, abstractmethod
from typing import List, Optional

from mmengine.logging import print_log

from ..errors import PipelineError
from ..settings import StageSettings
from ..stage_configs import with_epochs, with_overrides
from ..stage_graph import StageId, StageSpec

__all__ = ['BaseStage', 'stage_class', 'schedule_problems', 'init_problems']


class BaseStage(metaclass=ABCMeta):
    """One stage of a pipeline run, as mmengine's loops are one class per
    role.

    A stage kind is a subclass registered in
    :data:`mmcasp.registry.STAGES` under its name, with a :attr:`spec`
    saying what it reads and what its result depends on
    (:class:`~mmcasp.pipeline.stage_graph.StageSpec`). The pipeline makes
    one instance per stage of the run (``stage.id``: its kind and
    self-training round) and calls:

    - :meth:`check` before any stage runs (once per kind): what to fix;
    - :meth:`run` when the stage is not done: its record, which the
      pipeline writes to ``<stage folder>/done.json``;
    - :meth:`redo` on a done stage: whether to run it again anyway.

    Every method takes the run's
    :class:`~mmcasp.pipeline.context.PipelineContext`.
    """
    #: what it reads and what its result depends on
    spec = StageSpec()

    def __init__(self, id: StageId) -> None:
        self.id = id

    @property
    def name(self) -> str:
        """Its folder and record name (``warmup_round2``)."""
        return self.id.name

    def check(self, ctx) -> List[str]:
        """Problems with this stage's settings, as lines saying what to fix
        (default: none)."""
        return []

    @abstractmethod
    def run(self, ctx) -> dict:
        """Do the stage's work; return its record (JSON-able)."""

    def redo(self, ctx, record: dict) -> bool:
        """Whether a done stage (its ``record``) runs again (default no;
        ``evaluate``: new evaluation sets)."""
        return False

    def input_record(self, ctx, kind: str, round_: int = 1) -> dict:
        """The record of the input stage ``kind`` (of ``round_``).

        Raises:
            PipelineError: that stage is not done.
        """
        rec = ctx.records.get(StageId(kind, round_).name)
        if rec is None:
            raise PipelineError(f'{self.name} needs the '
                                f'{StageId(kind, round_).name} stage')
        return rec


def stage_class(kind: str) -> type:
    """The registered stage class of ``kind``.

    Raises:
        PipelineError: no stage of that name is registered.
    """
    from mmcasp.registry import STAGES
    from mmcasp.utils import closest
    cls = STAGES.get(kind)
    if cls is None:
        raise PipelineError(
            f'stages: {kind!r} is not a registered stage'
            f'{closest(kind, STAGES.module_dict)}; a stage of your own '
            'needs @STAGES.register_module() and its module in the '
            "config's custom_imports")
    return cls


def schedule_problems(ctx, name: str,
                      training: Optional[StageSettings]) -> List[str]:
    """``name.epochs`` that the schedulers of ``training``'s config cannot
    be rescaled to (found before any stage trains for hours)."""
    from mmcasp.utils import ScheduleError
    if training is None or not training.epochs or \
            ctx.config_problems(name, training.config):
        return []
    try:
        with_epochs(ctx.load_stage_config(training.config), training.epochs)
    except ScheduleError as e:
        return [f'{name}.epochs: {e}']
    return []


def init_problems(ctx,
                  name: str,
                  training: Optional[StageSettings],
                  warn_random: bool = True) -> List[str]:
    """The initial weights of ``training``'s config, before anything
    trains: a pretrained checkpoint that would not load (a missing file,
    an unknown name) is a problem; a backbone that starts from random
    weights only because the offline switch (``MMCASP_OFFLINE=1``) left
    out the pretrained weights the config names is logged as a warning
    (the stage then does not train the recipe's model), unless
    ``warn_random`` is off (a finetune whose backbone is transferred)."""
    from mmcasp.utils import init_report
    if training is None or ctx.config_problems(name, training.config):
        return []
    report = init_report(
        with_overrides(
            ctx.load_stage_config(training.config), training.cfg_options))
    if warn_random and report.backbone_by_switch:
        print_log(
            f'[casp] warning: {name}: the backbone starts from '
            f'{report.backbone}: its recipe starts from pretrained weights',
            logger='current',
            level=logging.WARNING)
    return [f'{name}: initial weights: {p}' for p in report.problems]
