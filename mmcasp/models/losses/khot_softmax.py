# Copyright (c) mmcasp contributors. All rights reserved.
"""Multi-label softmax cross-entropy with k-hot targets."""
import torch
from torch import Tensor

__all__ = ['khot_softmax_cross_entropy']


def khot_softmax_cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Softmax cross-entropy of multi-label images with k-hot targets.

    The multi-label loss of Mahajan et al. (ECCV 2018), which PreDet (Sec.
    3.1, "multi-label cross-entropy loss [34]") uses for its image labels:
    an image with k labels gets the target ``t = labels / k`` (sums to 1)
    and the loss ``-sum_c t_c * log_softmax(logits)_c``, averaged over the
    images. Images without any label have no target distribution: they
    are left out of the mean.

    Args:
        logits: (N, C) class scores.
        labels: (N, C) multi-hot (or non-negative) labels.

    Returns:
        Tensor: scalar; 0 (still attached to ``logits``) when no image has
        a label.
    """
    labels = labels.to(logits.dtype)
    k = labels.sum(1)
    has = k > 0
    if not bool(has.any()):
        return logits.sum() * 0.
    targets = labels[has] / k[has, None]
    return -(targets * torch.log_softmax(logits[has], dim=1)).sum(1).mean()
