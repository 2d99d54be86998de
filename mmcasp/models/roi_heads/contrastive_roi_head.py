# Copyright (c) mmcasp contributors. All rights reserved.
"""PreDet's contrastive RoI head (CROI)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from mmcasp.registry import MODELS, TASK_UTILS
from ..losses import info_nce

__all__ = ['ContrastiveRoIHead']


@MODELS.register_module()
class ContrastiveRoIHead(BaseModule):
    """Contrast proposals (view 1) with query boxes (view 2).

    RoI features of both go through one shared MLP (``hidden``) and an FC
    projection to ``embed_dims``; similarity is cosine. For each query the
    positive is a proposal with IoU > ``pos_iou`` to the query's box in
    view 1 (a random one among them; the query box itself is appended to
    the proposals so that there is always one), the negatives are up to
    ``max_negatives`` proposals of the same image with IoU < ``neg_iou`` to
    every query, and the loss is InfoNCE at temperature ``tau``. The
    positive proposal is also regressed to the query box as in the paper's
    Sec. 3.2.2 / Fig. 4: the query's MLP feature b_q goes through an FC to
    a 4 x D matrix (``reg_proj``), the proposal's MLP feature b_p through
    another FC to a D vector (``reg_proj_proposal``), and their product
    (scaled by D^-1/2) gives the 4 deltas; smooth-L1 against mmdet's
    ``DeltaXYWHBBoxCoder`` targets, summed over the 4 coordinates and
    averaged over the queries ("the average of this loss over all Q
    queries").

    Args:
        reg_dims: D of the regression projections (default ``hidden``).
    """

    def __init__(self,
                 in_dims: int = 256 * 7 * 7,
                 hidden: int = 1024,
                 embed_dims: int = 128,
                 tau: float = 0.07,
                 pos_iou: float = 0.5,
                 neg_iou: float = 0.5,
                 max_negatives: int = 512,
                 bbox_coder: ConfigType = dict(
                     type='DeltaXYWHBBoxCoder',
                     target_means=[0., 0., 0., 0.],
                     target_stds=[0.1, 0.1, 0.2, 0.2]),
                 smooth_l1_beta: float = 1.,
                 loss_nce_weight: float = 1.,
                 loss_reg_weight: float = 1.,
                 reg_dims: Optional[int] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.shared_fcs = nn.Sequential(
            nn.Linear(in_dims, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True))
        self.proj = nn.Linear(hidden, embed_dims)
        self.reg_dims = reg_dims or hidden
        self.reg_proj = nn.Linear(hidden, 4 * self.reg_dims)
        self.reg_proj_proposal = nn.Linear(hidden, self.reg_dims)
        self.hidden = hidden
        self.tau = tau
        self.pos_iou, self.neg_iou = pos_iou, neg_iou
        self.max_negatives = max_negatives
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.smooth_l1_beta = smooth_l1_beta
        self.loss_nce_weight = loss_nce_weight
        self.loss_reg_weight = loss_reg_weight

    def sample(self, boxes: Tensor, num_proposals: int,
               queries: Tensor) -> Tuple[Tensor, Tensor]:
        """``(positive index per query (Q, ), negative indices)`` into
        ``boxes`` (the proposals followed by the queries, in view 1);
        proposals are preferred as positives over the query's own box."""
        iou = bbox_overlaps(boxes, queries)  # (M, Q)
        neg = torch.nonzero(iou.max(1).values < self.neg_iou)[:, 0]
        neg = neg[torch.randperm(len(neg),
                                 device=neg.device)[:self.max_negatives]]
        pos = []
        for j in range(queries.shape[0]):
            cand = torch.nonzero(iou[:num_proposals, j] > self.pos_iou)[:, 0]
            if len(cand) == 0:
                pos.append(num_proposals + j)  # the query box itself
            else:
                pos.append(int(cand[torch.randint(len(cand), (1, ))]))
        return torch.as_tensor(pos, device=boxes.device, dtype=torch.long), neg

    def regress(self, query_hidden: Tensor, proposal_hidden: Tensor) -> Tensor:
        """(Q, 4) deltas of Q proposals towards their queries from the MLP
        features b_q and b_p (each (Q, hidden)), see the class docstring."""
        weights = self.reg_proj(query_hidden).view(-1, 4, self.reg_dims)
        return torch.einsum(
            'qkd,qd->qk', weights,
            self.reg_proj_proposal(proposal_hidden)) * self.reg_dims**-0.5

    def loss(self, box_feats: Tensor, boxes: Sequence[Tensor],
             num_proposals: Sequence[int], query_feats: Tensor,
             queries: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """InfoNCE and regression losses of a batch.

        Args:
            box_feats: (sum M_i, C, s, s) RoI features in view 1 of each
                image's proposals followed by its queries.
            boxes: Per image the (M_i, 4) boxes of ``box_feats``.
            num_proposals: Per image, how many of its boxes are proposals.
            query_feats: (sum Q_i, C, s, s) RoI features of the queries in
                view 2.
            queries: Per image the (Q_i, 4) query boxes in view 1.

        Returns:
            tuple: ``(loss_nce, loss_reg)`` scalars.
        """
        hb = self.shared_fcs(box_feats.flatten(1))
        hq = self.shared_fcs(query_feats.flatten(1))
        zb, zq = self.proj(hb), self.proj(hq)
        pos_rows, neg_rows, neg_owner, q_owner, targets = [], [], [], [], []
        start = 0
        for i, (b, n, q) in enumerate(zip(boxes, num_proposals, queries)):
            if q.shape[0]:
                pos, neg = self.sample(b, n, q)
                pos_rows.append(pos + start)
                neg_rows.append(neg + start)
                neg_owner.append(torch.full_like(neg, i))
                q_owner.append(torch.full((q.shape[0], ), i, device=q.device))
                targets.append(self.bbox_coder.encode(b[pos], q))
            start += b.shape[0]
        if not pos_rows:
            zero = hb.sum() * 0. + hq.sum() * 0.
            return zero, zero
        pos_rows = torch.cat(pos_rows)
        neg_rows = torch.cat(neg_rows)
        mask = torch.cat(q_owner)[:, None] == torch.cat(neg_owner)[None]
        loss_nce = info_nce(
            zq, zb[pos_rows], zb[neg_rows], negative_mask=mask, tau=self.tau)
        pred = self.regress(hq, hb[pos_rows])
        loss_reg = F.smooth_l1_loss(
            pred,
            torch.cat(targets),
            beta=self.smooth_l1_beta,
            reduction='none').sum(1).mean()
        return (loss_nce * self.loss_nce_weight,
                loss_reg * self.loss_reg_weight)
