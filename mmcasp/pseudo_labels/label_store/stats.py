# Copyright (c) mmcasp contributors. All rights reserved.
"""Statistics of a set of pseudo labels, accumulated one record at a time.

The same numbers for a COCO file (:func:`~mmcasp.pseudo_labels.
build_pseudo_coco`) and a store (:func:`~mmcasp.pseudo_labels.label_store.
build_store`): images listed / in / kept / dropped empty / skipped by
reason, labels per image, a score histogram, and (from the records'
``dropped`` counts) the predictions the labeling rules dropped.
"""
from collections import Counter
from typing import Dict, Mapping, Optional

from mmcasp.datasets.image_source import SKIP_REASONS

__all__ = [
    'LabelStats', 'check_refused', 'ordered_skips', 'skip_counts',
    'format_stats'
]


def check_refused(refused: Optional[Mapping[str, int]]) -> Dict[str, int]:
    """``refused`` without zero counts.

    Raises:
        ValueError: A reason that is not one of ``SKIP_REASONS``.
    """
    refused = {k: int(v) for k, v in (refused or {}).items() if v}
    unknown = sorted(set(refused) - set(SKIP_REASONS))
    if unknown:
        raise ValueError(f'refused: {unknown} are not skip reasons; use '
                         f'those of SKIP_REASONS: {sorted(SKIP_REASONS)}')
    return refused


def ordered_skips(skipped: Mapping[str, int]) -> Dict[str, int]:
    """Skip counts in :data:`SKIP_REASONS` order (other reasons last, by
    name)."""
    order = list(SKIP_REASONS)
    return {
        k: skipped[k]
        for k in sorted(
            skipped,
            key=lambda r: (order.index(r) if r in order else len(order), r))
    }


class LabelStats:
    """Accumulates the statistics of records given one at a time, in
    image-id order, each image once (the caller deduplicates).

    Args:
        drop_empty: Images without a label are dropped (counted in
            ``images_empty_dropped``) rather than kept.
        refused: Entries the image source refused when it was listed, by
            reason: listed and skipped, never labeled.
    """

    def __init__(self,
                 drop_empty: bool = True,
                 refused: Optional[Mapping[str, int]] = None) -> None:
        self.drop_empty = drop_empty
        self.refused = check_refused(refused)
        self.images_in = 0
        self.kept = 0
        self.empty = 0
        self.labels = 0
        self.max_labels = 0
        self.skipped: Counter = Counter()
        self.dropped: Counter = Counter()
        self.hist = [0] * 10

    def add(self, rec: dict) -> bool:
        """Count a record; whether its image is kept."""
        self.images_in += 1
        if rec.get('dropped'):
            self.dropped.update(rec['dropped'])
        if rec.get('skipped'):
            self.skipped[rec['skipped']] += 1
            return False
        inst = rec.get('instances', [])
        if not inst and self.drop_empty:
            self.empty += 1
            return False
        self.kept += 1
        self.labels += len(inst)
        self.max_labels = max(self.max_labels, len(inst))
        for ins in inst:
            self.hist[min(int(ins['score'] * 10), 9)] += 1
        return True

    def result(self) -> dict:
        """The statistics (the keys of ``info.stats``)."""
        skipped = Counter(self.skipped)
        skipped.update(self.refused)
        return dict(
            images_listed=self.images_in + sum(self.refused.values()),
            images_in=self.images_in,
            images_kept=self.kept,
            images_empty_dropped=self.empty if self.drop_empty else 0,
            images_skipped=ordered_skips(skipped),
            labels=self.labels,
            labels_per_image_mean=self.labels /
            self.kept if self.kept else 0.0,
            labels_per_image_max=self.max_labels,
            score_histogram=dict(
                bins=[round(i / 10, 1) for i in range(11)],
                counts=list(self.hist)))


def skip_counts(skipped: Mapping[str, int]) -> str:
    """``3 (missing: 1, truncated: 2)``, or ``none``."""
    if not skipped:
        return 'none'
    return f'{sum(skipped.values())} (' + ', '.join(
        f'{k}: {v}' for k, v in skipped.items()) + ')'


def format_stats(stats: dict) -> str:
    """Human-readable summary of a run. Its first two lines account for
    every listed entry: ``images in: I of L listed, kept: K, dropped empty:
    E`` and ``skipped: S (reason: n, ...)`` with ``L = K + E + S`` (``I``:
    the entries not refused when the source was listed). Statistics of
    files written before ``images_listed`` existed read ``L = I``."""
    listed = stats.get('images_listed', stats['images_in'])
    lines = [
        f"images in: {stats['images_in']} of {listed} listed, "
        f"kept: {stats['images_kept']}, "
        f"dropped empty: {stats['images_empty_dropped']}",
        f"skipped: {skip_counts(stats['images_skipped'])}",
        f"labels: {stats['labels']} "
        f"({stats['labels_per_image_mean']:.2f} per kept image, "
        f"max {stats['labels_per_image_max']})",
    ]
    hist = stats['score_histogram']
    lines.append('score histogram: ' + ' '.join(
        f'[{hist["bins"][i]:.1f},{hist["bins"][i + 1]:.1f}):{c}'
        for i, c in enumerate(hist['counts'])))
    if 'images_per_s' in stats:
        lines.append(f"speed: {stats['images_per_s']:.2f} images/s "
                     f"({stats['wall_s']:.1f} s)")
    if stats.get('dropped_predictions'):
        lines.append(f"predictions dropped: {stats['dropped_predictions']}")
    return '\n'.join(lines)
