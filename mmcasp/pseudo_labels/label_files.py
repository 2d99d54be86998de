# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo labels as the analysis tools read them: a COCO file or a label
store, the same way."""
import os.path as osp
from typing import Optional

from mmcasp.utils.input_files import check_coco_file
from .label_store import coco_dict, is_store_path

__all__ = ['load_pseudo_labels']


def load_pseudo_labels(path: str,
                       max_images: Optional[int] = None,
                       what: str = 'pseudo-label file') -> dict:
    """The COCO dict of a pseudo-label COCO file or label store (a folder,
    or any path not ending in ``.json``); with ``max_images``, a store
    gives its first images only (in id order; a COCO file is read whole
    and cut).

    Raises:
        InputFileError: A missing or invalid file; a store that is
            missing, unfinished or not whole (``LabelStoreError``).
    """
    if osp.isdir(path) or is_store_path(path):
        return coco_dict(path, max_images)
    coco = check_coco_file(path, what=what)
    if max_images is not None:
        keep = {img['id'] for img in coco['images'][:max_images]}
        coco = dict(
            coco,
            images=coco['images'][:max_images],
            annotations=[
                a for a in coco['annotations'] if a['image_id'] in keep
            ])
    return coco
