# Copyright (c) mmcasp contributors. All rights reserved.
"""The ``pseudo`` stage: label the unlabeled split (once per round)."""
import logging
import os.path as osp
import time
from typing import List

from mmengine.logging import print_log

from mmcasp.datasets import list_images
from mmcasp.registry import STAGES
from ..errors import PipelineError
from ..labeler_health import empty_labeler_warning
from ..stage_graph import BUILTIN
from .base import BaseStage

__all__ = ['PseudoStage']


@STAGES.register_module('pseudo')
class PseudoStage(BaseStage):
    """Labels the unlabeled split with the labeler of its round (round 1:
    the configured one; round r: the warmup of round r - 1) into the label
    store ``pseudo_labels/`` (record files per rank, a numpy index, a
    manifest: built streamed, read lazily by the warmup's
    ``PseudoLabelDataset``, :mod:`mmcasp.pseudo_labels.label_store`); the
    unlabeled images are listed as arrays (:func:`~mmcasp.datasets.
    list_images`). A labeler that makes no labels (PreDet) leaves
    a record saying so. A run that keeps no image stops here, before a
    warmup on nothing."""
    spec = BUILTIN['pseudo']

    def check(self, ctx) -> List[str]:
        problems = []
        if ctx.pseudo.class_specific and not ctx.labeler.class_specific_ok:
            problems.append(f'pseudo.class_specific: the {ctx.labeler_type!r}'
                            ' labeler makes class-agnostic labels only')
        return problems

    def run(self, ctx) -> dict:
        round_ = self.id.round
        if not ctx.labeler.makes_labels:
            self.input_record(ctx, 'labeler')
            return dict(kind='none', wall_s=0.0)
        t0 = time.time()
        d = ctx.split('unlabeled')
        images = list_images(d['ann'], d['img'])
        out = osp.join(ctx.records.dir(self.name), 'pseudo_labels')
        stats = ctx.label('unlabeled', out, round_, images=images)
        _, rec = ctx.round_labeler(round_)
        warning = empty_labeler_warning(
            rec.get('metrics') or {}, stats, round_)
        if warning is not None:
            print_log(
                f'[casp] warning: {warning}',
                logger='current',
                level=logging.WARNING)
        if stats['images_kept'] == 0:
            raise PipelineError(
                f'the labeler of round {round_} kept no image ({stats}); '
                'train it longer or lower pseudo.delta (a CAM labeler: its '
                f'thresholds), then delete {ctx.records.dir(self.name)} and '
                'run again')
        return dict(
            file=out,
            image_root=osp.abspath(images[2]),
            stats=stats,
            refused=dict(images[1]),
            class_specific=ctx.pseudo.class_specific,
            round=round_,
            warnings=[warning] if warning else [],
            wall_s=round(time.time() - t0, 1))
