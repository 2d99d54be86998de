# Copyright (c) mmcasp contributors. All rights reserved.
"""PreDet's contrastive RPN (CRPN)."""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.ops import nms
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmcasp.registry import MODELS, TASK_UTILS
from ..layers import query_conditioned_conv

__all__ = ['ContrastiveRPNHead']


@MODELS.register_module()
class ContrastiveRPNHead(BaseModule):
    """Query-conditioned RPN on the FPN features of view 1.

    Unlike mmdet's ``RPNHead`` (one objectness per anchor), every anchor
    gets one objectness score *per query box* of the image: the dot product
    of the anchor's D-dim feature with a D-dim vector computed from the
    query's RoI feature in view 2 (A vectors per query, one per anchor
    shape), and likewise four D-dim vectors per query and anchor shape for
    query-conditioned box deltas. All queries are scored at once with one
    grouped 1x1 convolution (:func:`~mmcasp.models.layers.
    query_conditioned_conv`).

    Training: the query boxes in view 1 are the ground truth of mmdet's
    ``assigner`` (default ``MaxIoUAssigner``, RPN's 0.7 / 0.3 rules with
    each query's best anchors positive from 0.3) and ``sampler`` (default
    ``RandomSampler``, 256 anchors, half positive at most). Objectness BCE
    is taken for the assigned query (a negative anchor: its
    best-overlapping query, or a random one when it overlaps no query at
    all, paper Sec. 3.2.1) and smooth-L1 box deltas for the positives'
    queries. Proposals: score = max over queries, ``nms_pre`` per level,
    deltas of that query, NMS, ``max_per_img``.

    Args:
        in_channels: FPN channels C.
        feat_channels: Channels of the shared 3x3 conv.
        embed_dims: D.
        query_in_dims: Size of a flattened query RoI feature (C * s * s).
        query_hidden: Hidden size of the query MLP.
        anchor_generator, bbox_coder, assigner, sampler: mmdet task
            utils.
        zero_iou_query: Which query an anchor with zero IoU to every query
            is scored against: ``'random'`` (default; the paper's "random
            query if overlap with all query boxes is zero", Sec. 3.2.1,
            drawn from torch's global RNG) or ``'first'`` (query 0, what
            ``argmax`` over an all-zero row gave before; for ablations).
    """

    def __init__(
        self,
        in_channels: int = 256,
        feat_channels: int = 256,
        embed_dims: int = 64,
        query_in_dims: int = 256 * 7 * 7,
        query_hidden: int = 256,
        anchor_generator: ConfigType = dict(
            type='AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        bbox_coder: ConfigType = dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0., 0., 0., 0.],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        assigner: ConfigType = dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.7,
            neg_iou_thr=0.3,
            min_pos_iou=0.3,
            match_low_quality=True,
            ignore_iof_thr=-1),
        sampler: ConfigType = dict(
            type='RandomSampler',
            num=256,
            pos_fraction=0.5,
            neg_pos_ub=-1,
            add_gt_as_proposals=False),
        smooth_l1_beta: float = 1. / 9.,
        loss_cls_weight: float = 1.,
        loss_reg_weight: float = 1.,
        nms_pre: int = 1000,
        nms_iou: float = 0.7,
        max_per_img: int = 512,
        min_size: float = 1.,
        zero_iou_query: str = 'random',
        init_cfg: OptMultiConfig = dict(
            type='Normal', layer='Conv2d', std=0.01)
    ) -> None:
        super().__init__(init_cfg)
        self.prior_generator = TASK_UTILS.build(anchor_generator)
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.num_anchors = self.prior_generator.num_base_priors[0]
        self.embed_dims = embed_dims
        a, d = self.num_anchors, embed_dims
        self.conv = nn.Conv2d(in_channels, feat_channels, 3, padding=1)
        self.cls_embed = nn.Conv2d(feat_channels, a * d, 1)
        self.reg_embed = nn.Conv2d(feat_channels, a * d, 1)
        self.query_fc = nn.Sequential(
            nn.Linear(query_in_dims, query_hidden), nn.ReLU(inplace=True))
        self.query_cls = nn.Linear(query_hidden, a * d)
        self.query_reg = nn.Linear(query_hidden, a * 4 * d)
        self.assigner = TASK_UTILS.build(assigner)
        self.sampler = TASK_UTILS.build(sampler)
        self.smooth_l1_beta = smooth_l1_beta
        self.loss_cls_weight = loss_cls_weight
        self.loss_reg_weight = loss_reg_weight
        self.nms_pre, self.nms_iou = nms_pre, nms_iou
        self.max_per_img, self.min_size = max_per_img, min_size
        if zero_iou_query not in ('random', 'first'):
            raise ValueError("zero_iou_query must be 'random' or 'first', "
                             f'got {zero_iou_query!r}')
        self.zero_iou_query = zero_iou_query

    def anchors(self, feats: Sequence[Tensor]) -> Tuple[Tensor, List[int]]:
        """All anchors (N, 4) of a feature pyramid and their count per
        level."""
        sizes = [f.shape[-2:] for f in feats]
        per_level = self.prior_generator.grid_priors(
            sizes, device=feats[0].device)
        return torch.cat(per_level), [len(p) for p in per_level]

    def forward(self, feats: Sequence[Tensor], query_feats: Tensor,
                num_queries: Sequence[int]) -> List[Tuple[Tensor, Tensor]]:
        """Per-query objectness and deltas of every anchor.

        Args:
            feats: FPN levels of view 1, each (B, C, H_l, W_l).
            query_feats: (sum Q_i, C, s, s) RoI features of the queries in
                view 2, image by image.
            num_queries: Q_i per image.

        Returns:
            list: per image, ``(scores (N, Q_i), deltas (N, Q_i, 4))`` over
            the N anchors of all levels (mmdet's anchor order).
        """
        a, d = self.num_anchors, self.embed_dims
        h = self.query_fc(query_feats.flatten(1))
        w_cls = self.query_cls(h).view(-1, a, 1, d) * d**-0.5
        w_reg = self.query_reg(h).view(-1, a, 4, d) * d**-0.5
        w_cls = w_cls.split(list(num_queries))
        w_reg = w_reg.split(list(num_queries))
        levels = []
        for f in feats:
            t = F.relu(self.conv(f))
            levels.append((self.cls_embed(t), self.reg_embed(t)))
        out = []
        for i in range(len(num_queries)):
            scores = torch.cat([
                query_conditioned_conv(ce[i], w_cls[i])[..., 0]
                for ce, _ in levels
            ])
            deltas = torch.cat(
                [query_conditioned_conv(re[i], w_reg[i]) for _, re in levels])
            out.append((scores, deltas))
        return out

    def targets(self, anchors: Tensor,
                queries: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Sampled anchors: ``(pos_idx, neg_idx, query)``; ``query`` (N, )
        is the query each anchor is scored against (a positive's assigned
        query, otherwise the best-overlapping one; with zero overlap a
        random one, see ``zero_iou_query``)."""
        pred = InstanceData(priors=anchors)
        gt = InstanceData(
            bboxes=queries,
            labels=queries.new_zeros(len(queries), dtype=torch.long))
        assigned = self.assigner.assign(pred, gt)
        sampled = self.sampler.sample(assigned, pred, gt)
        best, query = bbox_overlaps(anchors, queries).max(1)
        if self.zero_iou_query == 'random':
            zero = torch.nonzero(best <= 0)[:, 0]
            if len(zero):
                query[zero] = torch.randint(len(queries),
                                            (len(zero), )).to(query.device)
        query[sampled.pos_inds] = sampled.pos_assigned_gt_inds
        return sampled.pos_inds, sampled.neg_inds, query

    def loss(self, scores: Tensor, deltas: Tensor, anchors: Tensor,
             queries: Tensor) -> Tuple[Tensor, Tensor]:
        """Objectness BCE and smooth-L1 deltas of one image (scalars)."""
        if queries.shape[0] == 0:
            zero = scores.sum() * 0. + deltas.sum() * 0.
            return zero, zero
        pos_idx, neg_idx, best_q = self.targets(anchors, queries)
        idx = torch.cat([pos_idx, neg_idx])
        logits = scores[idx, best_q[idx]]
        labels = torch.cat(
            [logits.new_ones(len(pos_idx)),
             logits.new_zeros(len(neg_idx))])
        loss_cls = F.binary_cross_entropy_with_logits(logits, labels)
        target = self.bbox_coder.encode(anchors[pos_idx],
                                        queries[best_q[pos_idx]])
        pred = deltas[pos_idx, best_q[pos_idx]]
        loss_reg = F.smooth_l1_loss(
            pred, target, beta=self.smooth_l1_beta, reduction='sum') / max(
                len(idx), 1)
        return (loss_cls * self.loss_cls_weight,
                loss_reg * self.loss_reg_weight)

    @torch.no_grad()
    def proposals(self, scores: Tensor, deltas: Tensor, anchors: Tensor,
                  level_sizes: Sequence[int], img_shape: Tuple[int,
                                                               int]) -> Tensor:
        """(P, 4) proposals of one image, best first (none without
        queries)."""
        if scores.shape[1] == 0:
            return anchors.new_zeros((0, 4))
        obj, q = scores.sigmoid().max(1)
        keep = []
        start = 0
        for n in level_sizes:
            s = obj[start:start + n]
            k = min(self.nms_pre, n)
            keep.append(s.topk(k).indices + start)
            start += n
        idx = torch.cat(keep)
        boxes = self.bbox_coder.decode(
            anchors[idx], deltas[idx, q[idx]], max_shape=img_shape)
        s = obj[idx]
        wh = boxes[:, 2:] - boxes[:, :2]
        valid = (wh >= self.min_size).all(1)
        boxes, s = boxes[valid], s[valid]
        if len(boxes) == 0:
            return boxes
        _, keep = nms(boxes, s, self.nms_iou)
        return boxes[keep[:self.max_per_img]]
