# Copyright (c) mmcasp contributors. All rights reserved.
"""The class-specific stages: ``finetune`` (from the last warmup, or the
labeler) and ``baseline`` (from the plain init)."""
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

from mmcasp.registry import STAGES
from mmcasp.utils import closest
from ..settings import StageSettings
from ..stage_configs import is_panoptic, with_overrides, with_transfer_init
from ..stage_graph import BUILTIN
from .base import BaseStage, init_problems, schedule_problems

__all__ = ['FinetuneStage', 'BaselineStage']


def finetune_config(ctx, stage: str, init_from: Optional[str]) -> Config:
    """The Runner config of a class-specific stage on the labeled split:
    ``stage``'s settings (``finetune`` or ``baseline``), initialised by
    transferring ``finetune.parts`` (and ``finetune.classifier``) of the
    checkpoint ``init_from`` (``None``: the config's own init)."""
    ft = getattr(ctx.settings, stage)
    cfg = ctx.stage_config(stage, ft, ctx.split('labeled'), True)
    return with_transfer_init(cfg, init_from, ctx.settings.finetune.parts,
                              ctx.settings.finetune.classifier)


@STAGES.register_module('finetune')
class FinetuneStage(BaseStage):
    """Finetunes ``finetune.config`` on the labeled split from the warmup
    of the last self-training round, or, with ``finetune.init_from=
    'labeler'``, from the labeler trained on the labeled split's ground
    truth (CaSP Table 2's Objects(G,A)). The transfer (``parts``,
    ``classifier``) is checked on the two models' shapes before any stage
    trains."""
    spec = BUILTIN['finetune']

    def check(self, ctx) -> List[str]:
        ft = ctx.settings.finetune
        problems = _parts_problems(ft.parts) + _source_problems(ctx)
        found = ctx.config_problems('finetune.config', ft.config)
        if found:
            return problems + found
        problems += schedule_problems(ctx, 'finetune', ft)
        problems += init_problems(
            ctx, 'finetune', ft, warn_random='backbone' not in ft.parts)
        src = self._source_config(ctx)
        # A source config that does not load is the source stage's own
        # problem (reported by its check); the transfer is checked once
        # both configs load.
        if src is not None and not problems and not ctx.config_problems(
                'source', src.config):
            from mmcasp.surgery.shape_check import transfer_problems
            why = transfer_problems(
                with_overrides(
                    ctx.load_stage_config(src.config), src.cfg_options),
                with_overrides(
                    ctx.load_stage_config(ft.config), ft.cfg_options),
                ft.parts, ft.classifier)
            if why:
                problems.append(
                    f'finetune: the transfer from the {ft.init_from} '
                    f'({src.config}) into {ft.config} fails: {why}')
        if is_panoptic(ctx.load_stage_config(ft.config).model):
            for split in ('labeled', 'val'):
                pan = ctx.split(split).get('panoptic') or {}
                for key in ('ann', 'seg'):
                    if not osp.exists(pan.get(key, '')):
                        problems.append(
                            f'data.{split}.panoptic.{key}: a PanopticFPN '
                            'target needs COCO panoptic labels '
                            f'({pan.get(key)} does not exist)')
        return problems

    def run(self, ctx) -> dict:
        if ctx.settings.finetune.init_from == 'labeler':
            source = self.input_record(ctx, 'labeler')
        else:
            source = self.input_record(ctx, 'warmup', ctx.settings.rounds)
        return ctx.train(
            self.name, finetune_config(ctx, 'finetune', source['checkpoint']))

    @staticmethod
    def _source_config(ctx) -> Optional[StageSettings]:
        """The model the finetune transfers from, as a training stage's
        settings (``None``: not a config, e.g. a labeler without one)."""
        if ctx.settings.finetune.init_from == 'warmup':
            return ctx.settings.warmup
        trained = ctx.labeler.trained_model(ctx.settings.labeler)
        if trained is not None:
            return StageSettings(**trained)
        config = getattr(ctx.labeler, 'config', None)  # a given checkpoint
        return StageSettings(config) if config else None


@STAGES.register_module('baseline')
class BaselineStage(BaseStage):
    """The same finetuning (``baseline``, default the ``finetune``
    settings) from the plain init: what the pretraining is compared with.
    A labeler that shapes it (DAP's classifier backbone) sets its init."""
    spec = BUILTIN['baseline']

    def check(self, ctx) -> List[str]:
        base = ctx.settings.baseline
        found = ctx.config_problems('baseline.config', base.config)
        if found:  # the finetune's check names its own config
            return [] if base.config == ctx.settings.finetune.config \
                else found
        return schedule_problems(ctx, 'baseline', base) + init_problems(
            ctx, 'baseline', base)

    def run(self, ctx) -> dict:
        rec = ctx.train(self.name, finetune_config(ctx, 'baseline', None))
        if type(ctx.labeler).shapes_baseline(ctx.settings.labeler):
            rec['init'] = "the labeler's backbone"  # DAP: the classifier's
        return rec


def _source_problems(ctx) -> List[str]:
    """What ``finetune.init_from='labeler'`` needs."""
    if ctx.settings.finetune.init_from != 'labeler':
        return []
    problems = []
    if not ctx.labeler.yields_detector:
        problems.append(
            f"finetune.init_from='labeler': the {ctx.labeler_type!r} "
            'labeler gives no detector to start from (the detector and '
            'checkpoint labelers do)')
    if ctx.settings.rounds > 1:
        problems.append("finetune.init_from='labeler' takes no pseudo "
                        'labels: set rounds=1')
    return problems


def _parts_problems(parts) -> List[str]:
    """``finetune.parts`` that are no transferable part."""
    from mmcasp.surgery import PARTS
    known = [p for p in PARTS if p != 'classifier']
    return [
        'finetune.parts: the classifier init is finetune.classifier'
        if part == 'classifier' else
        f'finetune.parts: unknown part {part!r}{closest(part, known)}'
        for part in parts if part not in known
    ]
