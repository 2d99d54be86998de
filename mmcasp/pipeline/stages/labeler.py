# Copyright (c) mmcasp contributors. All rights reserved.
"""The ``labeler`` stage: train (or take) the pseudo labeler."""
import os
import os.path as osp
from typing import List

from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log

from mmcasp.registry import STAGES
from mmcasp.utils import link_or_copy
from ..settings import StageSettings
from ..stage_graph import BUILTIN, StageId
from ..validation import coco_file_problems
from .base import BaseStage, init_problems, schedule_problems

__all__ = ['LabelerStage']


@STAGES.register_module('labeler')
class LabelerStage(BaseStage):
    """Runs the configured labeler's :meth:`~BaseLabeler.run` (training a
    detector, a classifier, or nothing) and records it as the labeler
    describes itself. When the labeler would train the baseline's very
    model (:attr:`~PipelineContext.labeler_is_baseline`), that model is
    trained once, by the baseline stage, and taken from there."""
    spec = BUILTIN['labeler']

    def check(self, ctx) -> List[str]:
        problems = ctx.labeler.validate(ctx) + _entity_problems(ctx)
        trained = ctx.labeler.trained_model(ctx.settings.labeler)
        if trained is not None:
            training = StageSettings(**trained)
            problems += schedule_problems(ctx, 'labeler', training)
            problems += init_problems(ctx, 'labeler', training)
        return problems

    def run(self, ctx) -> dict:
        if ctx.labeler_is_baseline:
            rec = self._baseline_model(ctx)
        else:
            rec = ctx.labeler.run(ctx)
        return ctx.labeler.record(ctx, rec)

    def _baseline_model(self, ctx) -> dict:
        """The baseline (trained now if it is not done) with its metrics,
        so that one model is not trained twice. Its checkpoint and config
        are hard-linked (else copied) into the labeler's folder, so that
        the labeler stays what its record says when the baseline is
        deleted or retrained with other settings. Its training time counts
        in the baseline's record."""
        ctx.records.check_current(['baseline'])
        base = ctx.records.get('baseline')
        print_log(
            "[casp] labeler: the baseline's model (the same settings); " +
            ('taking the done baseline' if base else 'training it once'),
            logger='current')
        base = base or ctx.run_stage(StageId('baseline'))
        folder = ctx.records.dir(self.name)
        files = {
            key: osp.join(folder, osp.basename(base[key]))
            for key in ('checkpoint', 'config')
        }
        if get_dist_info()[0] == 0:
            os.makedirs(folder, exist_ok=True)
            for key, dst in files.items():
                link_or_copy(base[key], dst)
        barrier()
        return dict(
            files,
            metrics=base['metrics'],
            wall_s=0.0,
            same_as='baseline',
            baseline_checkpoint=base['checkpoint'])


def _entity_problems(ctx) -> List[str]:
    """What ``pretrain_on='entities'`` needs."""
    if not ctx.on_entities:
        return []
    problems = []
    for split in ('labeled', 'val'):
        path = ctx.split(split).get('entities')
        if not path or not osp.isfile(path):
            problems.append(
                f"data.{split}.entities: pretrain_on='entities' needs the "
                f"split's entity labels ({path} does not exist); make them "
                'from COCO panoptic labels with tools/dataset_converters/'
                'panoptic2entities.py')
        else:
            problems.extend(coco_file_problems(f'data.{split}.entities', path))
    if not ctx.labeler.entities_ok:
        problems.append(f"pretrain_on='entities': the {ctx.labeler_type!r} "
                        'labeler does not learn from entity labels')
    if ctx.pseudo.class_specific:
        problems.append("pretrain_on='entities' is class-agnostic: "
                        'pseudo.class_specific must be False')
    return problems
