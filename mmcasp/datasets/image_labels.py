# Copyright (c) mmcasp contributors. All rights reserved.
"""Image-level labels from a COCO json, keyed by image file name.

Used by :class:`~mmcasp.datasets.ImageDataset` (``with_labels``): the image
list and the labels may come from different files (an images-only json of an
unlabeled split, and another json that annotates the same images), so images
are matched by ``file_name``, not by id.
"""
import os.path as osp
from typing import Dict, List, Set, Tuple

from mmcasp.utils.input_files import InputFileError

__all__ = ['image_level_labels']


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def image_level_labels(coco: dict) -> Tuple[List[dict], Dict[str, Set[int]]]:
    """The categories and every image's class indices of a COCO dict.

    Args:
        coco: A loaded COCO json: ``images`` (``id``, ``file_name``),
            ``categories`` (``id``, ``name``) and ``annotations``
            (``image_id``, ``category_id``; boxes and masks are not needed).

    Returns:
        tuple: ``(categories, labels)``: the categories sorted by id (class
        index i is the i-th of them), and ``{file_name: set of class
        indices}`` for every image the file lists (normalised with
        :func:`os.path.normpath`, as :func:`~mmcasp.datasets.collect_images`
        writes them); an image without annotations has an empty set, a file
        name listed twice (with two ids) the union of both ids' labels.

    Raises:
        InputFileError: (a ``ValueError``) if there are no categories, an
            image lacks an integer id or a file name, two images share an
            id, or an annotation names an unknown image or category.
    """
    if not isinstance(coco, dict) or not isinstance(coco.get('images'), list):
        raise InputFileError('an image-label file must be a COCO object with '
                             'an "images" list')
    cats = coco.get('categories') or []
    if not isinstance(cats, list) or not all(
            isinstance(c, dict) and _is_int(c.get('id')) for c in cats):
        raise InputFileError('"categories" must be a list of objects with an '
                             'integer "id" and a "name"')
    if not cats:
        raise InputFileError('the image-label file has no categories')
    cats = sorted(cats, key=lambda c: c['id'])
    index = {c['id']: i for i, c in enumerate(cats)}
    if len(index) != len(cats):
        raise InputFileError('category ids used more than once')
    names: Dict[int, str] = {}
    labels: Dict[str, Set[int]] = {}
    for i, img in enumerate(coco['images']):
        if not isinstance(img, dict):
            raise InputFileError(f'images[{i}] is not an object')
        name = img.get('file_name')
        if not _is_int(img.get('id')) or not isinstance(
                name, str) or not name.strip():
            raise InputFileError(f'images[{i}] needs an integer "id" and a '
                                 '"file_name"')
        name = osp.normpath(name)
        if img['id'] in names:
            raise InputFileError(f'image id {img["id"]} used more than once')
        names[img['id']] = name
        labels.setdefault(name, set())
    for i, ann in enumerate(coco.get('annotations') or []):
        if not isinstance(ann, dict) or ann.get('image_id') not in names:
            raise InputFileError(
                f'annotations[{i}]: "image_id" is not the id of an image')
        if ann.get('category_id') not in index:
            raise InputFileError(f'annotations[{i}]: "category_id" '
                                 f'{ann.get("category_id")!r} is not the id '
                                 'of a category')
        labels[names[ann['image_id']]].add(index[ann['category_id']])
    return cats, labels
