# Copyright (c) mmcasp contributors. All rights reserved.
"""Seeded subsets of a COCO annotation dict for low-label experiments.

Pure functions on an already loaded COCO dict (no file IO); the command
line tool is ``tools/misc/split_coco.py``.

* :func:`percent_split` -- "x % of the images are labeled" (the
  semi-supervised tables: 1 / 5 / 10 % of COCO train). Exactly
  ``round(percent / 100 * n_images)`` images, sampled **without**
  replacement.
* :func:`k_shot_subset` -- "k annotations per category" (few-shot tables),
  the image-level k-shot definition described there.

Why not mmdet's ``tools/misc/split_coco.py``: it samples
``np.random.choice(range(n), size=int(percent / 100 * n))`` *with*
replacement and keeps the set of drawn indices, so the labeled split holds
fewer images than asked. Measured with mmdet 3.3's own ``split_coco`` on a
1000-image file: the 10 % split of fold 1 holds 98 images instead of 100,
fold 3 holds 94 (6 % short); the same ``np.random`` calls on COCO
train2017's 118287 images give 11234-11285 labeled images for 10 % instead
of 11828 (4.6-5.0 % short; 0.6-0.7 % short for 1 %, 2.4-2.7 % for 5 %).
"""
import math
import warnings
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np

__all__ = ['percent_split', 'k_shot_subset', 'short_categories', 'percent_tag']

_COPIED_KEYS = ('info', 'licenses', 'categories')


def _images(coco: dict) -> list:
    if not isinstance(coco, dict):
        raise ValueError('coco must be a COCO dict with "images", got a '
                         f'{type(coco).__name__}')
    images = coco.get('images')
    if not isinstance(images, list):
        raise ValueError('coco has no "images" list')
    if not images:
        raise ValueError('coco has an empty "images" list; there is nothing '
                         'to sample from')
    return images


def _subset(coco: dict, images: list) -> dict:
    """A COCO dict with ``images`` and the annotations of those images;
    ``info``, ``licenses`` and ``categories`` copied when present."""
    ids = {img['id'] for img in images}
    out = {key: coco[key] for key in _COPIED_KEYS if key in coco}
    out['images'] = list(images)
    out['annotations'] = [
        ann for ann in coco.get('annotations') or []
        if ann.get('image_id') in ids
    ]
    return out


def percent_tag(percent: float) -> str:
    """``percent`` as it appears in a split's file name.

    Whole numbers without a decimal point (``10`` -> ``'10'``), others as
    Python writes the float (``12.5`` -> ``'12.5'``), so that the names are
    the ones mmdet's semi-supervised configs load
    (``instances_train2017.1@10.json``). mmdet's own tool writes ``10`` only
    for its default percents; a percent given on its command line is parsed
    as a float and written ``@10.0``, which those configs do not find.
    """
    percent = float(percent)
    return str(int(percent)) if percent.is_integer() else repr(percent)


def percent_split(coco: dict, percent: float, seed: int) -> Tuple[dict, dict]:
    """Split the images of ``coco`` into a labeled and an unlabeled part.

    Exactly ``round(percent / 100 * n_images)`` images (Python's ``round``;
    at least 1) are labeled, drawn without replacement with
    ``numpy.random.default_rng(seed)``; all other images are unlabeled.
    Each annotation goes with its image (annotations whose ``image_id`` is
    not an image of ``coco`` are dropped). Both parts keep the input's image
    and annotation order and copy ``categories``, ``info`` and ``licenses``
    when the input has them. The input is not modified.

    Args:
        coco (dict): A loaded COCO annotation dict.
        percent (float): Percentage of labeled images, in ``(0, 100]``.
        seed (int): Seed of the sampling; the same seed gives the same
            split.

    Returns:
        tuple[dict, dict]: ``(labeled, unlabeled)`` COCO dicts.

    Raises:
        ValueError: ``percent`` outside ``(0, 100]`` or ``images`` missing
            or empty.
    """
    try:
        percent = float(percent)
    except (TypeError, ValueError):
        raise ValueError(
            f'percent must be a number in (0, 100], got {percent!r}') from None
    if not (math.isfinite(percent) and 0 < percent <= 100):
        raise ValueError(f'percent must be in (0, 100], got {percent!r}')
    images = _images(coco)
    n = len(images)
    k = min(n, max(1, round(percent * n / 100)))
    rng = np.random.default_rng(seed)
    chosen = set(rng.choice(n, size=k, replace=False).tolist())
    labeled = [img for i, img in enumerate(images) if i in chosen]
    unlabeled = [img for i, img in enumerate(images) if i not in chosen]
    return _subset(coco, labeled), _subset(coco, unlabeled)


def short_categories(coco: dict, shots: int) -> Dict[int, int]:
    """Categories with fewer than ``shots`` annotations in ``coco``.

    Args:
        coco (dict): A loaded COCO annotation dict.
        shots (int): Annotations asked for per category.

    Returns:
        dict[int, int]: Category id -> its number of annotations (0 for a
        category listed in ``categories`` but never annotated), in id
        order.
    """
    counts: Dict[int, int] = defaultdict(int)
    for cat in coco.get('categories') or []:
        counts[cat['id']] += 0
    for ann in coco.get('annotations') or []:
        counts[ann['category_id']] += 1
    return {
        cat_id: counts[cat_id]
        for cat_id in sorted(counts) if counts[cat_id] < shots
    }


def k_shot_subset(coco: dict, shots: int, seed: int) -> dict:
    """A few-shot subset with at least ``shots`` annotations per category.

    Image-level k-shot (the definition of the TFA / FsDet style splits,
    pooled over all categories in one file): for each category in id order,
    images that contain it and are not yet chosen are drawn in a random
    order (``numpy.random.default_rng(seed)``, without replacement) until
    the chosen images hold at least ``shots`` annotations of that category.
    Images are kept with **all** their annotations, so a category can have
    more than ``shots`` annotations (an image with 3 instances of it counts
    3, and images drawn for other categories count too). Categories with
    fewer than ``shots`` annotations in total are taken whole and named in
    a ``UserWarning`` (see :func:`short_categories`). Categories are those
    of ``categories`` and any other ``category_id`` the annotations use.

    The result keeps the input's image and annotation order, copies
    ``categories``, ``info`` and ``licenses`` when present, and is the same
    for the same ``coco``, ``shots`` and ``seed``.

    Args:
        coco (dict): A loaded COCO annotation dict.
        shots (int): Annotations per category, at least 1.
        seed (int): Seed of the sampling.

    Returns:
        dict: The subset as a COCO dict.

    Raises:
        ValueError: ``shots`` < 1 or ``images`` missing or empty.
    """
    if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) \
            or shots < 1:
        raise ValueError(f'shots must be an integer >= 1, got {shots!r}')
    images = _images(coco)
    image_ids = {img['id'] for img in images}
    # per image: category -> number of its annotations
    anns = [
        ann for ann in coco.get('annotations') or []
        if ann.get('image_id') in image_ids
    ]
    per_image: dict = defaultdict(lambda: defaultdict(int))
    for ann in anns:
        per_image[ann['image_id']][ann['category_id']] += 1
    # per category: the images containing it, in input order
    containing: Dict[int, List[int]] = defaultdict(list)
    for img in images:
        for cat_id in per_image.get(img['id'], {}):
            containing[cat_id].append(img['id'])

    rng = np.random.default_rng(seed)
    chosen: set = set()
    have: Dict[int, int] = defaultdict(int)

    def take(img_id):
        chosen.add(img_id)
        for cat_id, count in per_image[img_id].items():
            have[cat_id] += count

    for cat_id in sorted(containing):
        if have[cat_id] >= shots:
            continue
        candidates = [i for i in containing[cat_id] if i not in chosen]
        for idx in rng.permutation(len(candidates)).tolist():
            take(candidates[idx])
            if have[cat_id] >= shots:
                break

    subset = _subset(coco, [img for img in images if img['id'] in chosen])
    short = short_categories(
        dict(categories=coco.get('categories'), annotations=anns), shots)
    if short:
        warnings.warn(
            f'{len(short)} categories have fewer than {shots} annotations '
            'in total and are taken whole: ' +
            ', '.join(f'{cat_id} ({n})' for cat_id, n in short.items()),
            UserWarning,
            stacklevel=2)
    return subset
