# Copyright (c) mmcasp contributors. All rights reserved.
"""Pure helpers for class-agnostic COCO evaluation."""
import copy
from typing import Any, Dict

__all__ = ['collapse_coco_categories']


def collapse_coco_categories(coco_dict: Dict[str, Any],
                             class_name: str = 'object',
                             category_id: int = 1) -> Dict[str, Any]:
    """Collapse every category of a COCO dataset dict into one.

    Args:
        coco_dict: A COCO instances dict (``images``, ``annotations``,
            ``categories``). Not modified.
        class_name: Name of the single category.
        category_id: Its id.

    Returns:
        dict: A copy whose ``categories`` is one entry and whose annotations
        all have ``category_id``. Crowd flags, boxes, masks and areas are
        kept, so crowd regions still act as ignore regions in COCOeval.
    """
    out = {k: v for k, v in coco_dict.items() if k != 'annotations'}
    out['categories'] = [
        dict(id=category_id, name=class_name, supercategory='')
    ]
    anns = []
    for ann in coco_dict.get('annotations', []):
        ann = copy.copy(ann)
        ann['category_id'] = category_id
        anns.append(ann)
    out['annotations'] = anns
    return out
