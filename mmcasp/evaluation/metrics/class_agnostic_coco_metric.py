# Copyright (c) mmcasp contributors. All rights reserved.
"""Class-agnostic COCO AP (AP^det-a, AP^seg-a; AP^e and its box
counterpart on entity data)."""
import copy
import logging
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.datasets.api_wrappers import COCO
from mmdet.evaluation import CocoMetric
from mmengine.logging import print_log

from mmcasp.registry import METRICS
from ..functional import collapse_coco_categories

__all__ = ['ClassAgnosticCocoMetric']

DEFAULT_ITEMS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l',
                 'AR@100')


@METRICS.register_module()
class ClassAgnosticCocoMetric(CocoMetric):
    """COCO AP with ground truth and predictions collapsed to one category.

    This is CaSP's AP^det-a (``metric='bbox'``) and AP^seg-a
    (``metric='segm'``); with ``class_name='entity'`` on entity data, AP^e
    (CaSP Table 11: entity *segmentation* AP, ``segm``) and its box
    counterpart (``bbox``).
    It differs from :class:`mmdet.evaluation.CocoMetric` only in what is
    compared: the ground truth (from ``ann_file`` or from the data samples)
    and every prediction get the same category, so a correct box with the
    wrong class counts as a hit. Crowd annotations remain ignore regions.
    The dataset being evaluated may be class-specific (e.g. mmdet's
    ``CocoDataset`` with 80 classes) or class-agnostic.

    Reported keys are ``{prefix}/{bbox|segm}_{item}`` with the default items
    mAP, mAP_50, mAP_75, mAP_s, mAP_m, mAP_l and AR@100 (AR with at most 100
    detections per image; note mmdet's ``proposal_nums`` sets the maxDets).

    A model with no prediction on any image (every score below
    ``test_cfg.score_thr``, as an untrained model's) scores 0 on every
    item, with a warning that says why; the parent logs "The testing
    results of the whole dataset is empty" as an ERROR and reports
    nothing, which left a blank row in reports.

    Args:
        class_name (str): Name of the collapsed category.
        prefix (str): Metric name prefix. Defaults to ``'agnostic'``.
        metric_items: As in ``CocoMetric``; defaults to the list above.
        **kwargs: Everything else of ``CocoMetric`` (``ann_file``,
            ``metric``, ``outfile_prefix``, ...).
    """

    def __init__(self,
                 class_name: str = 'object',
                 prefix: Optional[str] = 'agnostic',
                 metric_items: Optional[Sequence[str]] = DEFAULT_ITEMS,
                 **kwargs) -> None:
        self.class_name = class_name
        super().__init__(
            prefix=prefix,
            metric_items=list(metric_items or []) or None,
            **kwargs)
        if self._coco_api is not None:
            collapsed = collapse_coco_categories(self._coco_api.dataset,
                                                 class_name)
            coco = COCO()
            coco.dataset = collapsed
            coco.createIndex()
            self._coco_api = coco

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        """Keep the dataset's meta but with the one collapsed class."""
        if dataset_meta is not None:
            dataset_meta = copy.deepcopy(dataset_meta)
            dataset_meta['classes'] = (self.class_name, )
        self._dataset_meta = dataset_meta

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """As the parent, then set every prediction and gt label to 0."""
        start = len(self.results)
        super().process(data_batch, data_samples)
        for gt, result in self.results[start:]:
            result['labels'] = np.zeros_like(result['labels'])
            for ann in gt.get('anns', []):
                ann['bbox_label'] = 0

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """As the parent; every item 0 when no image has a prediction (see
        the class docstring)."""
        if not results or any(len(pred['labels']) for _, pred in results) \
                or not set(self.metrics) <= {'bbox', 'segm'}:
            return super().compute_metrics(results)
        print_log(
            f'{type(self).__name__}: no prediction on any of the '
            f'{len(results)} images (every score below test_cfg.score_thr, '
            'as an untrained model\'s): AP 0',
            logger='current',
            level=logging.WARNING)
        items = self.metric_items or DEFAULT_ITEMS[:6]  # mmdet's default
        return {
            f'{metric}_{item}': 0.0
            for metric in self.metrics
            for item in items
        }
