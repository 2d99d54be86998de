# Copyright (c) mmcasp contributors. All rights reserved.
"""InfoNCE over cosine similarities."""
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['info_nce']


def info_nce(query: Tensor,
             positive: Tensor,
             negatives: Tensor,
             negative_mask: Tensor = None,
             tau: float = 0.07) -> Tensor:
    """Mean InfoNCE loss of Q queries, each with one positive and a set of
    negatives, on cosine similarity / ``tau``:

    ``-log(exp(s+/tau) / (exp(s+/tau) + sum_n exp(s_n/tau)))``

    Args:
        query: (Q, D) query embeddings (normalised here).
        positive: (Q, D) the positive of each query.
        negatives: (N, D) negatives shared by all queries, or (Q, N, D).
        negative_mask: Optional (Q, N) bool, True where negative n counts
            for query q (e.g. negatives of the query's own image).
        tau: Temperature.

    Returns:
        Tensor: scalar; 0 (still attached to the inputs) when Q == 0.
    """
    q = F.normalize(query, dim=-1)
    pos = (q * F.normalize(positive, dim=-1)).sum(-1, keepdim=True)  # (Q,1)
    neg = F.normalize(negatives, dim=-1)
    if neg.dim() == 2:
        neg_sim = q @ neg.t()  # (Q, N)
    else:
        neg_sim = torch.einsum('qd,qnd->qn', q, neg)
    if negative_mask is not None:
        neg_sim = neg_sim.masked_fill(~negative_mask, float('-inf'))
    logits = torch.cat([pos, neg_sim], dim=1) / tau
    if logits.shape[0] == 0:
        return query.sum() * 0. + positive.sum() * 0.
    target = torch.zeros(
        logits.shape[0], dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits, target)
