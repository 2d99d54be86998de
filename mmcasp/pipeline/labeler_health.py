# Copyright (c) mmcasp contributors. All rights reserved.
"""Is a labeler worth its pseudo labels? A check on its val metrics.

A detector can fail to train outright: e.g. FCOS-style heads whose
clamped box distances die at 0 in the first iterations keep a box loss of
1.0 for the rest of training and score AP 0.000, yet at a low delta they
still write labels on some images. Those labels are noise, and a warmup on
them is no warmup; the pipeline says so before spending one on them.
"""
from typing import Dict, Optional

__all__ = ['empty_labeler_metric', 'empty_labeler_warning']


def empty_labeler_metric(metrics: Dict[str, float]) -> Optional[str]:
    """The box AP metric a labeler scored exactly 0 on, when every box AP
    metric it has (``*/bbox_mAP``, e.g. ``agnostic/bbox_mAP``) is 0; else
    ``None`` (also when it has none: a CAM labeler is not scored)."""
    keys = sorted(k for k in metrics if k.endswith('bbox_mAP'))
    if keys and all(metrics[k] == 0 for k in keys):
        return keys[0]
    return None


def empty_labeler_warning(metrics: Dict[str, float], stats: dict,
                          round_: int) -> Optional[str]:
    """What to tell the user when the labeler of ``round_`` scored 0 box
    AP on val (:func:`empty_labeler_metric`) yet kept labels (``stats``:
    the pseudo-labeling statistics); ``None`` when it did not."""
    empty = empty_labeler_metric(metrics)
    if empty is None:
        return None
    return (f'the labeler of round {round_} scored {empty} = 0.000 on val'
            f' and kept {stats["labels"]} labels on {stats["images_kept"]} '
            f'of {stats["images_in"]} images: they are likely noise. Check '
            'its training log (a box loss stuck at 1.0 means its box '
            'regression never trained) and retrain it (another seed, '
            'schedule or learning rate).')
