# Copyright (c) mmcasp contributors. All rights reserved.
"""A store as one COCO file, written as it is read.

The file is the one :func:`~mmcasp.pseudo_labels.build_pseudo_coco` and
``json.dump`` would give for the same records (the same keys, order,
numbers and separators), but written piece by piece: the images from the
index, then the annotations one record at a time, so that memory stays
bounded whatever the store's size. Written to a temporary file and renamed:
readers never see a partial file.
"""
import json
import os
import os.path as osp
from typing import Optional

from mmengine.utils import ProgressBar

from .reader import LabelStore
from .record_format import coco_annotations, coco_image

__all__ = ['coco_info', 'export_coco', 'coco_dict']

_PROGRESS_EVERY = 10_000


def coco_info(manifest: dict) -> dict:
    """The COCO file's ``info``: the store's info with its statistics."""
    return dict(manifest['info'], stats=manifest['stats'])


def export_coco(store: str,
                out_file: str,
                show_progress: bool = False) -> dict:
    """Write the COCO file of ``store`` to ``out_file``; returns the
    store's manifest.

    Raises:
        LabelStoreError: The store is missing, unfinished or not whole.
    """
    labels = LabelStore(store)
    manifest = labels.manifest
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp = f'{out_file}.tmp.{os.getpid()}'
    bar = ProgressBar(2 * len(labels)) if show_progress and len(labels) \
        else None
    with open(tmp, 'w') as f:
        f.write('{"info": ' + json.dumps(coco_info(manifest)) +
                ', "images": [')
        for row in range(len(labels)):
            f.write((', ' if row else '') +
                    json.dumps(coco_image(labels.image(row))))
            _tick(bar, row)
        f.write('], "annotations": [')
        next_id = 1
        for row, rec in enumerate(labels.iter_records()):
            for ann in coco_annotations(rec, next_id):
                f.write((', ' if next_id > 1 else '') + json.dumps(ann))
                next_id += 1
            _tick(bar, row)
        f.write('], "categories": ' + json.dumps(manifest['categories']) + '}')
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out_file)
    if bar is not None:
        print()
    labels.close()
    return manifest


def _tick(bar: Optional[ProgressBar], row: int) -> None:
    if bar is not None and (row + 1) % _PROGRESS_EVERY == 0:
        bar.update(_PROGRESS_EVERY)


def coco_dict(store: str, max_images: Optional[int] = None) -> dict:
    """The store's COCO file as a dict in memory (what COCO evaluation
    takes), or of its first ``max_images`` images only (e.g. to draw
    them): the numbers of :func:`export_coco`."""
    labels = LabelStore(store)
    n = len(labels) if max_images is None else min(max_images, len(labels))
    images, anns = [], []
    for row, rec in zip(range(n), labels.iter_records()):
        images.append(coco_image(rec))
        anns.extend(coco_annotations(rec, len(anns) + 1))
    labels.close()
    return dict(
        info=coco_info(labels.manifest),
        images=images,
        annotations=anns,
        categories=labels.manifest['categories'])
