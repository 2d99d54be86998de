# Copyright (c) mmcasp contributors. All rights reserved.
"""What the pseudo-label threshold δ is compared with: one objectness for
every detector labeler.

**Objectness** is the detector's confidence that a box holds an object,
on one scale for every head:

- heads that predict centerness (FCOS, CondInst, ATSS, ...): the geometric
  mean ``sqrt(cls * ctr)`` of the classification and centerness
  probabilities, as FCOS/CondInst (AdelaiDet) score a box. mmdet's heads
  report the product ``cls * ctr``; the class-agnostic CondInst head of
  mmcasp reports the geometric mean already
  (:class:`~mmcasp.models.ClassAgnosticCondInstBboxHead`);
- every other detector (RetinaNet, Faster/Mask R-CNN, ...): its score, the
  classification probability; PAA and LAD report sqrt(cls * iou), kept as
  it is.

So δ = 0.2 keeps the same boxes whether the labeler is mmcasp's
class-agnostic CondInst, mmdet's class-specific CondInst or a class-agnostic
FCOS: the square root is monotonic, so NMS and the top-k keep the same
boxes under both scales, and only the threshold's meaning is unified.
Pseudo-label files store this objectness as each label's ``score``.
"""
from typing import Callable, Tuple

import torch

__all__ = ['OBJECTNESS_RULES', 'objectness_rule']


def _identity(scores: torch.Tensor) -> torch.Tensor:
    return scores


def _geometric_mean(scores: torch.Tensor) -> torch.Tensor:
    return scores.clamp(min=0).sqrt()


def _reports_objectness(head) -> bool:
    if getattr(head, 'scores_are_objectness', False):
        return True
    # mmdet's PAA (and LAD, its subclass) report sqrt(cls * iou) already
    from mmdet.models.dense_heads import PAAHead
    return isinstance(head, PAAHead)


def _reports_product(head) -> bool:
    # mmdet's dense heads with a centerness branch multiply it into the
    # score (BaseDenseHead._bbox_post_process with score_factors)
    return hasattr(head, 'loss_centerness')


#: ``(name, applies(bbox_head), transform)``, first match wins.
OBJECTNESS_RULES: Tuple[Tuple[str, Callable, Callable], ...] = (
    ('objectness (reported by the head)', _reports_objectness, _identity),
    ('sqrt(cls * centerness) from mmdet\'s product', _reports_product,
     _geometric_mean),
    ('classification score', lambda head: True, _identity),
)


def objectness_rule(model) -> Tuple[str, Callable]:
    """``(name, transform)``: how ``model``'s prediction scores become
    objectness (see the module docstring)."""
    head = getattr(model, 'bbox_head', None)
    for name, applies, transform in OBJECTNESS_RULES:
        if applies(head):
            return name, transform
    raise AssertionError('the last rule applies to every model')
