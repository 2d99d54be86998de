# Copyright (c) mmcasp contributors. All rights reserved.
"""Class-agnostic CondInst box head."""
from typing import List, Optional

import torch
from mmdet.models.dense_heads import CondInstBboxHead
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from mmcasp.registry import MODELS

__all__ = ['ClassAgnosticCondInstBboxHead']


@MODELS.register_module()
class ClassAgnosticCondInstBboxHead(CondInstBboxHead):
    """CondInst box head with one binary "object" classifier.

    Differs from :class:`mmdet.models.dense_heads.CondInstBboxHead` in two
    narrow places:

    * ``num_classes`` must be 1 and every ground-truth label is treated as
      "object" (label 0) in the loss, so the head trains class-agnostically
      on any annotation file, whether or not the data went through the α
      conversion. (With the parent, a label >= 1 would silently count as
      background.)
    * **Objectness score.** A prediction's score is
      ``sqrt(sigmoid(cls_logit) * sigmoid(centerness_logit))``, the geometric
      mean used by FCOS/CondInst (AdelaiDet), instead of mmdet's plain
      product. This is the score that the pseudo-label threshold δ (0.2 in
      CaSP) is compared with. ``test_cfg.score_thr`` still pre-filters on the
      classification probability alone, before the centerness factor: keep
      it at or below δ² (e.g. 0.03) when labeling, or boxes whose objectness
      passes δ can be lost early.

    The detection losses are FCOS's (focal, GIoU, centerness BCE) and the
    mask loss is CondInst's dice loss, unchanged.
    """
    #: its scores are objectness already (see
    #: :mod:`mmcasp.pseudo_labels.objectness`)
    scores_are_objectness = True

    def __init__(self, *args, num_classes: int = 1, **kwargs) -> None:
        if num_classes != 1:
            raise ValueError(
                f'{self.__class__.__name__} is class-agnostic: num_classes '
                f'must be 1, got {num_classes}. Use mmdet\'s '
                'CondInstBboxHead for class-specific training.')
        super().__init__(*args, num_classes=num_classes, **kwargs)

    def loss_by_feat(
            self,
            cls_scores: List[Tensor],
            bbox_preds: List[Tensor],
            centernesses: List[Tensor],
            param_preds: List[Tensor],
            batch_gt_instances: InstanceList,
            batch_img_metas: List[dict],
            batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """As the parent, with every gt label set to 0 ("object").

        Shapes as in the parent: ``cls_scores[i]`` (B, 1, H_i, W_i),
        ``bbox_preds[i]`` (B, 4, H_i, W_i), ``centernesses[i]``
        (B, 1, H_i, W_i), ``param_preds[i]`` (B, num_params, H_i, W_i).
        """
        agnostic = []
        for gt in batch_gt_instances:
            gt_agnostic = gt.clone() if isinstance(gt, InstanceData) else gt
            gt_agnostic.labels = torch.zeros_like(gt.labels)
            agnostic.append(gt_agnostic)
        return super().loss_by_feat(cls_scores, bbox_preds, centernesses,
                                    param_preds, agnostic, batch_img_metas,
                                    batch_gt_instances_ignore)

    def _bbox_post_process(self,
                           results: InstanceData,
                           cfg: ConfigDict,
                           rescale: bool = False,
                           with_nms: bool = True,
                           img_meta: Optional[dict] = None) -> InstanceData:
        """Turn scores into objectness, then the parent's rescale and NMS.

        ``results.scores`` (N, ) sigmoid class probabilities and
        ``results.score_factors`` (N, ) sigmoid centerness become
        ``results.scores = sqrt(scores * score_factors)``.
        """
        if 'score_factors' in results:
            factors = results.pop('score_factors')
            results.scores = torch.sqrt(results.scores * factors)
        return super()._bbox_post_process(
            results=results,
            cfg=cfg,
            rescale=rescale,
            with_nms=with_nms,
            img_meta=img_meta)
