# Copyright (c) mmcasp contributors. All rights reserved.
"""The ``warmup`` stage: pretrain the detector on the pseudo labels."""
from typing import List

from mmengine.config import Config

from mmcasp.datasets.mask_loading import drops_rle_masks
from mmcasp.pseudo_labels import load_pseudo_labels
from mmcasp.registry import STAGES
from ..stage_configs import (innermost_dataset, is_self_supervised,
                             loads_masks, trains_on_image_labels)
from ..stage_graph import BUILTIN
from .base import BaseStage, init_problems, schedule_problems

__all__ = ['WarmupStage']


@STAGES.register_module('warmup')
class WarmupStage(BaseStage):
    """Trains ``warmup.config`` on the pseudo labels of its round only
    (class-agnostic unless ``pseudo.class_specific``), or on the unlabeled
    images alone when the labeler makes no labels (PreDet); validated on
    what ``pretrain_on`` names."""
    spec = BUILTIN['warmup']

    def check(self, ctx) -> List[str]:
        warmup = ctx.settings.warmup
        problems = ctx.config_problems('warmup.config', warmup.config)
        if problems:
            return problems
        if not ctx.labeler.validate(ctx):  # the labeler's config loads
            problems += warmup_problems(ctx,
                                        ctx.load_stage_config(warmup.config))
        return problems + schedule_problems(
            ctx, 'warmup', warmup) + init_problems(ctx, 'warmup', warmup)

    def run(self, ctx) -> dict:
        pseudo = self.input_record(ctx, 'pseudo', self.id.round)
        if 'file' not in pseudo:  # pretraining on the images alone
            train, class_specific = ctx.split('unlabeled'), False
        else:
            root = pseudo.get('image_root')
            if root is None:  # a record written before it said so
                root = load_pseudo_labels(pseudo['file'])['info']['image_root']
            train = dict(ann=pseudo['file'], img=root)
            class_specific = ctx.pseudo.class_specific
        cfg = ctx.stage_config(
            self.name,
            ctx.settings.warmup,
            train,
            class_specific,
            pretrain=True)
        return ctx.train(self.name, cfg)


def warmup_problems(ctx, warmup: Config) -> List[str]:
    """What a warmup config cannot train on, given the labeler."""
    problems = []
    labeler, kind = ctx.labeler, ctx.labeler_type
    selfsup = is_self_supervised(warmup)
    if not labeler.makes_masks and not selfsup and loads_masks(warmup):
        problems.append(
            f'warmup.config: the {kind!r} labeler makes boxes only, but '
            'this config trains on masks; take a box-only detector (e.g. '
            'configs/fcos/fcos-ca_r18w16_fpn_toy-12e_toy-objects.py, FCOS '
            'or RetinaNet)')
    if drops_rle_masks(
            innermost_dataset(warmup.train_dataloader).get('pipeline', [])):
        problems.append(
            'warmup.config: its LoadAnnotations(with_mask=True, '
            'poly2mask=False) would ignore every pseudo label (their masks '
            'are RLE); set poly2mask=True')
    if not labeler.makes_labels and not selfsup:
        problems.append(
            f'warmup.config: labeler.type={kind!r} makes no pseudo labels, '
            'so the warmup must pretrain on images alone, e.g. '
            'configs/predet/predet_r18w16_fpn_toy-6e_toy.py')
    if labeler.makes_labels and selfsup:
        problems.append('warmup.config trains on images alone (PreDet): set '
                        "labeler=dict(type='none')")
    if selfsup and trains_on_image_labels(warmup) and \
            not ctx.split('unlabeled').get('image_labels'):
        problems.append(
            'warmup.config learns from image-level labels (with_labels=True)'
            ': set data.unlabeled.image_labels, or with_labels=False to '
            'pretrain on the images alone')
    if ctx.settings.rounds > 1 and (selfsup or not labeler.makes_labels):
        problems.append(
            f'rounds={ctx.settings.rounds}: self-training re-labels with the '
            'warmed-up detector, which a warmup on images alone does not '
            'give; set rounds=1')
    return problems
