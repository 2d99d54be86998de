# Copyright (c) mmcasp contributors. All rights reserved.
"""Query-conditioned 1x1 convolutions (PreDet's contrastive RPN)."""
import torch.nn.functional as F
from torch import Tensor

__all__ = ['query_conditioned_conv']


def query_conditioned_conv(feat: Tensor, weights: Tensor) -> Tensor:
    """Dot products of every anchor's feature with every query's vectors.

    For A anchors per location, ``feat[a*D:(a+1)*D, y, x]`` is anchor a's
    D-dim feature at (y, x), and ``weights[q, a, k]`` is query q's k-th
    (of K) D-dim vector for anchor a. The output is
    ``out[y, x, a, q, k] = <feat[a*D:(a+1)*D, y, x], weights[q, a, k]>``,
    computed for all queries at once as one 1x1 convolution with A groups
    (group a: D input channels -> Q*K outputs).

    Args:
        feat: (A*D, H, W) anchor features of one image.
        weights: (Q, A, K, D) query vectors (K = 1 for objectness, 4 for box
            regression).

    Returns:
        Tensor: (H*W*A, Q, K), rows in mmdet's anchor order (y, x, a).
    """
    q, a, k, d = weights.shape
    _, h, w = feat.shape
    if q == 0:
        return feat.new_zeros((h * w * a, 0, k))
    kernel = weights.permute(1, 0, 2, 3).reshape(a * q * k, d, 1, 1)
    out = F.conv2d(feat[None], kernel, groups=a)  # (1, A*Q*K, H, W)
    out = out.view(a, q, k, h, w).permute(3, 4, 0, 1, 2)
    return out.reshape(h * w * a, q, k)
