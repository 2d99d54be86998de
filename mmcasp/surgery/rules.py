# Copyright (c) mmcasp contributors. All rights reserved.
"""Per-target rules: which source keys go where.

The source is a CondInst/FCOS-style model (CaSP's class-agnostic labeler or
warmed-up detector). Its keys are grouped into *parts*:

=============  ==========================================================
part           source keys
=============  ==========================================================
backbone       ``backbone.*``
neck           ``neck.*`` (FPN; matched by pyramid level)
head           ``bbox_head.{cls_convs,reg_convs,conv_reg,conv_centerness,
               scales,controller}.*`` (towers, box regression, centerness,
               FPN-level scales, CondInst's dynamic-parameter controller)
mask_head      ``mask_head.*`` (CondInst mask branch)
classifier     ``bbox_head.conv_cls.*`` (the one "object" channel)
=============  ==========================================================

Each target kind lists the parts it can receive and how a source key (with
the part's prefix) is renamed; a rule returning ``None`` means "no
counterpart": the source key is reported as unmapped.
"""
import re
from typing import Callable, Dict, Optional

__all__ = [
    'PARTS', 'SOURCE_PART_PATTERNS', 'TARGET_RULES', 'source_part',
    'detect_target_kind', 'target_classifier_prefix'
]

PARTS = ('backbone', 'neck', 'head', 'mask_head', 'classifier')

SOURCE_PART_PATTERNS = {
    'backbone':
    re.compile(r'^backbone\.'),
    'neck':
    re.compile(r'^neck\.'),
    'head':
    re.compile(r'^bbox_head\.(cls_convs|reg_convs|conv_reg|'
               r'conv_centerness|scales|controller)\.'),
    'mask_head':
    re.compile(r'^mask_head\.'),
    'classifier':
    re.compile(r'^bbox_head\.conv_cls\.'),
}


def source_part(key: str) -> Optional[str]:
    """Part of a source key, or ``None`` for keys outside every part."""
    for part, pattern in SOURCE_PART_PATTERNS.items():
        if pattern.match(key):
            return part
    return None


def _identity(key: str) -> Optional[str]:
    return key


def _fcos_head(key: str) -> Optional[str]:
    # FCOS has no CondInst controller
    return None if key.startswith('bbox_head.controller.') else key


def _retina_head(key: str) -> Optional[str]:
    # RetinaHead towers are plain convs (no GN); the anchor-based
    # regression (A x 4 outputs) has no FCOS counterpart.
    m = re.match(r'^bbox_head\.(cls_convs|reg_convs)\.(\d+)\.conv\.(\w+)$',
                 key)
    return key if m else None


RuleDict = Dict[str, Callable[[str], Optional[str]]]

#: target kind -> part -> key rule (neck keys additionally go through the
#: FPN level map; classifier keys through the classifier init).
TARGET_RULES: Dict[str, RuleDict] = {
    'condinst':
    dict(
        backbone=_identity,
        neck=_identity,
        head=_identity,
        mask_head=_identity,
        classifier=_identity),
    'fcos':
    dict(
        backbone=_identity,
        neck=_identity,
        head=_fcos_head,
        classifier=_identity),
    'retinanet':
    dict(
        backbone=_identity,
        neck=_identity,
        head=_retina_head,
        classifier=lambda k: k.replace('bbox_head.conv_cls.',
                                       'bbox_head.retina_cls.')),
    'mask_rcnn':
    dict(backbone=_identity, neck=_identity),
    'panoptic_fpn':
    dict(backbone=_identity, neck=_identity),
}


def target_classifier_prefix(kind: str) -> Optional[str]:
    """Key prefix of the target's classification conv."""
    return {
        'condinst': 'bbox_head.conv_cls.',
        'fcos': 'bbox_head.conv_cls.',
        'retinanet': 'bbox_head.retina_cls.',
    }.get(kind)


def detect_target_kind(model) -> str:
    """Target kind of a built mmdet detector."""
    names = {type(model).__name__}
    names |= {c.__name__ for c in type(model).__mro__}
    head = getattr(model, 'bbox_head', None)
    head_names = {c.__name__ for c in type(head).__mro__} if head else set()
    if 'PanopticFPN' in names:
        return 'panoptic_fpn'
    if 'MaskRCNN' in names or 'TwoStageDetector' in names:
        return 'mask_rcnn'
    if 'CondInst' in names:
        return 'condinst'
    if 'RetinaHead' in head_names:
        return 'retinanet'
    if 'FCOSHead' in head_names:
        return 'fcos'
    raise ValueError(f'no transfer rules for {type(model).__name__}; '
                     f'supported: {sorted(TARGET_RULES)}')
