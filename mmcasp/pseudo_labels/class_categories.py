# Copyright (c) mmcasp contributors. All rights reserved.
"""The categories of class-specific pseudo labels: a detector's classes as
COCO categories, by name from a labeled file or numbered in class order."""
import json
from typing import List, Optional, Sequence, Tuple

__all__ = ['model_classes', 'class_categories']


def model_classes(model) -> Optional[Tuple[str, ...]]:
    """A built detector's class names: its checkpoint's ``dataset_meta``,
    else its config's ``metainfo`` (``None``: neither names them)."""
    classes = (getattr(model, 'dataset_meta', None) or {}).get('classes')
    if not classes:
        cfg = getattr(model, 'cfg', None) or {}
        classes = (cfg.get('metainfo') or {}).get('classes')
    return tuple(classes) if classes else None


def class_categories(
        classes: Optional[Sequence[str]],
        ann_file: Optional[str] = None) -> Tuple[List[dict], List[int]]:
    """``(categories, category_ids)`` for labels of these ``classes``:
    ``category_ids[i]`` is the id written for class index ``i``.

    Args:
        classes: The detector's class names, in its class order.
        ann_file: A COCO file whose categories to use, matched by name (a
            labeled split: the pseudo labels then train beside its ground
            truth). ``None``: ids 1..K in class order.

    Raises:
        ValueError: no classes, or a class that is not a category of
            ``ann_file``; the message says which.
    """
    if not classes:
        raise ValueError('class-specific pseudo labels need the model\'s '
                         'class names (its checkpoint\'s dataset_meta or the '
                         'config\'s metainfo.classes); none are given')
    if ann_file is None:
        cats = [
            dict(id=i + 1, name=c, supercategory='')
            for i, c in enumerate(classes)
        ]
        return cats, [c['id'] for c in cats]
    with open(ann_file) as f:
        by_name = {c['name']: c for c in json.load(f)['categories']}
    missing = [c for c in classes if c not in by_name]
    if missing:
        raise ValueError(f'the model\'s classes {missing} are not categories '
                         f'of {ann_file}')
    cats = [
        dict(by_name[c], supercategory=by_name[c].get('supercategory', ''))
        for c in classes
    ]
    return cats, [c['id'] for c in cats]
