# Copyright (c) mmcasp contributors. All rights reserved.
"""Per-target rules: which source keys go where.

The source is a CondInst/FCOS-style model (CaSP's class-agnostic labeler or
warmed-up detector) or a two-stage one (DAP's Faster R-CNN pretrained on
pseudo boxes). Its keys are grouped into *parts*:

=============  ==========================================================
part           source keys
=============  ==========================================================
backbone       ``backbone.*``
neck           ``neck.*`` (FPN; matched by pyramid level)
head           ``bbox_head.{cls_convs,reg_convs,conv_reg,conv_centerness,
               scales,controller}.*`` (towers, box regression, centerness,
               FPN-level scales, CondInst's dynamic-parameter controller)
mask_head      ``mask_head.*`` (CondInst mask branch)
rpn_head       ``rpn_head.*`` (mmdet ``RPNHead``: ``rpn_conv``, ``rpn_cls``,
               ``rpn_reg``; class-independent for one anchor config)
roi_head       ``roi_head.bbox_head.*`` but ``fc_cls`` and ``fc_reg``
               (``ConvFCBBoxHead``'s shared/cls/reg convs and fcs)
roi_mask_head  ``roi_head.mask_head.*`` but ``conv_logits`` (``FCNMaskHead``'s
               convs and upsampling)
classifier     ``bbox_head.conv_cls.*`` (the one "object" channel)
=============  ==========================================================

``rpn_head``, ``roi_head`` and ``roi_mask_head`` are DAP's "the pre-trained
detector weights are used to initialize a new model, except for the last
layers which depend on the number of categories" (Sec. 3.1, Step 4): the
RoI heads' last layers (:data:`ROI_CLASS_LAYERS`: ``fc_cls``, ``fc_reg``,
``conv_logits``; ``<head>.<i>.`` for a cascade stage) never transfer and are
reported with the target's ``classifier``. The RoI mask branch is a part of
its own, as CondInst's ``mask_head`` is beside ``head``: a box-only source
(DAP's Faster R-CNN) has none, and the box and mask branches can be
transferred (and ablated) separately.

Each target kind lists the parts it can receive and how a source key (with
the part's prefix) is renamed; a rule returning ``None`` means "no
counterpart": the source key is reported as unmapped. Two-stage targets
(``mask_rcnn`` for Mask R-CNN, ``two_stage`` for any other mmdet
``TwoStageDetector`` such as Faster R-CNN, ``panoptic_fpn``) share one rule
set; a source key whose target key is absent (a mask head key into Faster
R-CNN) is unmapped.
"""
import re
from typing import Callable, Dict, Optional

__all__ = [
    'PARTS', 'SOURCE_PART_PATTERNS', 'ROI_CLASS_LAYERS',
    'TARGET_PART_PATTERNS', 'TARGET_RULES', 'source_part',
    'detect_target_kind', 'target_classifier_prefix'
]

PARTS = ('backbone', 'neck', 'head', 'mask_head', 'rpn_head', 'roi_head',
         'roi_mask_head', 'classifier')

#: The RoI heads' last layers, which depend on the number of classes
#: (``<head>.<i>.`` is a cascade stage): never transferred.
ROI_CLASS_LAYERS = re.compile(
    r'^roi_head\.(bbox_head\.(\d+\.)?(fc_cls|fc_reg)|'
    r'mask_head\.(\d+\.)?conv_logits)\.')

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
    'rpn_head':
    re.compile(r'^rpn_head\.'),
    'roi_head':
    re.compile(r'^roi_head\.bbox_head\.(?!(\d+\.)?(fc_cls|fc_reg)\.)'),
    'roi_mask_head':
    re.compile(r'^roi_head\.mask_head\.(?!(\d+\.)?conv_logits\.)'),
    'classifier':
    re.compile(r'^bbox_head\.conv_cls\.'),
}

#: Part of a *target* key in the report's ``kept_fresh``, first match wins
#: (the one-stage classifier prefix, :func:`target_classifier_prefix`, is
#: tried before these). Keys matching none are ``other`` (e.g. a semantic
#: head, a mask IoU head).
TARGET_PART_PATTERNS = (
    ('classifier', ROI_CLASS_LAYERS),
    ('backbone', re.compile(r'^backbone\.')),
    ('neck', re.compile(r'^neck\.')),
    ('head', re.compile(r'^bbox_head\.')),
    ('mask_head', re.compile(r'^mask_head\.')),
    ('rpn_head', re.compile(r'^rpn_head\.')),
    ('roi_head', re.compile(r'^roi_head\.bbox_head\.')),
    ('roi_mask_head', re.compile(r'^roi_head\.mask_head\.')),
)


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

#: Any mmdet two-stage detector (Faster/Mask R-CNN, PanopticFPN, ...): the
#: RPN and RoI heads by identical key; keys the target lacks are unmapped.
_TWO_STAGE: RuleDict = dict(
    backbone=_identity,
    neck=_identity,
    rpn_head=_identity,
    roi_head=_identity,
    roi_mask_head=_identity)

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
    'two_stage':
    dict(_TWO_STAGE),
    'mask_rcnn':
    dict(_TWO_STAGE),
    'panoptic_fpn':
    dict(_TWO_STAGE),
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
    if 'MaskRCNN' in names:
        return 'mask_rcnn'
    if 'TwoStageDetector' in names:
        return 'two_stage'
    if 'CondInst' in names:
        return 'condinst'
    if 'RetinaHead' in head_names:
        return 'retinanet'
    if 'FCOSHead' in head_names:
        return 'fcos'
    raise ValueError(f'no transfer rules for {type(model).__name__}; '
                     f'supported: {sorted(TARGET_RULES)}')
