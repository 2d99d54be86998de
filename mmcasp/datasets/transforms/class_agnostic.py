# Copyright (c) mmcasp contributors. All rights reserved.
"""The α transform: forget class labels, keep boxes and masks."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmcasp.registry import TRANSFORMS

__all__ = ['ClassAgnostic']


@TRANSFORMS.register_module()
class ClassAgnostic(BaseTransform):
    """Set every ground-truth label to ``label`` (default 0, ``object``).

    Put it after ``LoadAnnotations`` to train a class-agnostic model on any
    dataset whose annotations were all loaded (e.g. a ``CocoDataset`` listing
    every class, or :class:`~mmcasp.datasets.ClassAgnosticCocoDataset`).
    Boxes, masks and ignore flags are untouched; the original labels are kept
    in ``gt_source_labels`` for analysis.

    Required keys: ``gt_bboxes_labels`` (N, ) int64.
    Modified keys: ``gt_bboxes_labels``. Added keys: ``gt_source_labels``.
    """

    def __init__(self, label: int = 0) -> None:
        self.label = int(label)

    def transform(self, results: dict) -> dict:
        labels = results.get('gt_bboxes_labels')
        if labels is None:
            return results
        results['gt_source_labels'] = np.asarray(labels).copy()
        results['gt_bboxes_labels'] = np.full_like(
            np.asarray(labels, dtype=np.int64), self.label)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(label={self.label})'
