# Copyright (c) mmcasp contributors. All rights reserved.
"""COCO panoptic (PNG + JSON) -> class-agnostic *entity* instances.

Every segment of a panoptic annotation, thing or stuff, becomes one instance
of the single category ``entity`` with its box, RLE mask (``counts`` as str)
and area, as in CA-SSL's entity labels. Crowd segments are kept with
``iscrowd=1``, so mmdet datasets and COCOeval treat them as ignore regions.

The per-image work is the pure :func:`panoptic_to_entities`; the file-level
:func:`convert_panoptic_to_entities` reads, validates and counts. Problems
never produce a silently wrong file: with ``strict=True`` they raise, else
the affected image (or segment) is skipped and counted by reason.
"""
import os.path as osp
from collections import Counter
from typing import Dict, List, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar
from panopticapi.utils import rgb2id

from mmcasp.utils.fileio import dump_json_atomic
from mmcasp.utils.input_files import InputFileError, load_json
from .rle import encode_rle, mask_bbox_xywh

__all__ = [
    'PanopticFormatError', 'panoptic_to_entities', 'read_panoptic_png',
    'convert_panoptic_to_entities', 'entity_stats_table'
]


class PanopticFormatError(ValueError):
    """Invalid panoptic input; ``reason`` is a short countable key
    (``missing_png``, ``unreadable_png``, ``wrong_png_mode``,
    ``id_not_in_json``, ``unknown_image``, ``size_mismatch``)."""

    def __init__(self, message: str, reason: str = 'invalid') -> None:
        super().__init__(message)
        self.reason = reason


def read_panoptic_png(path: str) -> np.ndarray:
    """Read a COCO panoptic PNG as an (H, W) int64 segment-id map.

    Raises:
        PanopticFormatError: If the file is missing, unreadable, or not an
            8-bit 3-channel image (panoptic PNGs encode
            ``id = R + 256 * G + 256**2 * B``).
    """
    if not osp.isfile(path):
        raise PanopticFormatError(f'missing panoptic PNG: {path}',
                                  'missing_png')
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise PanopticFormatError(f'unreadable panoptic PNG: {path}',
                                  'unreadable_png')
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        channels = 1 if img.ndim == 2 else img.shape[2]
        raise PanopticFormatError(
            f'{path}: panoptic PNGs are 8-bit RGB; got {channels} channel(s) '
            f'of {img.dtype}', 'wrong_png_mode')
    return rgb2id(img[..., ::-1])


def panoptic_to_entities(seg_ids: np.ndarray,
                         segments_info: List[dict],
                         min_area: int = 0) -> Tuple[List[dict], Counter]:
    """Entity instances of one image.

    Args:
        seg_ids: (H, W) int segment-id map (0 = VOID).
        segments_info: The annotation's ``segments_info`` (``id``,
            ``category_id``, ``iscrowd``, ...).
        min_area: Segments with fewer pixels are dropped (counted as
            ``below_min_area``). Crowd segments are kept regardless.

    Returns:
        tuple: ``entities``, dicts with ``bbox`` [x, y, w, h], ``area``
        (pixel count), ``segmentation`` (RLE, str counts), ``iscrowd`` and
        ``source_category_id``, in ``segments_info`` order; and a Counter of
        skipped segments by reason (``below_min_area``, ``absent_in_png``:
        listed but no pixel, ``area_mismatch``: listed area differs from the
        pixel count, which is used).

    Raises:
        PanopticFormatError: If the PNG holds a non-zero id that is not in
            ``segments_info`` (the JSON and PNG do not belong together).
    """
    counts = Counter()
    ids, pixel_counts = np.unique(seg_ids, return_counts=True)
    pixels = dict(zip(ids.tolist(), pixel_counts.tolist()))
    listed = {s['id'] for s in segments_info}
    unknown = sorted(i for i in pixels if i != 0 and i not in listed)
    if unknown:
        raise PanopticFormatError(
            f'segment ids {unknown[:5]} are in the PNG but not in the JSON',
            'id_not_in_json')
    entities = []
    for seg in segments_info:
        area = pixels.get(seg['id'], 0)
        if area == 0:
            counts['absent_in_png'] += 1
            continue
        if 'area' in seg and int(seg['area']) != area:
            counts['area_mismatch'] += 1
        crowd = int(seg.get('iscrowd', 0))
        if not crowd and area < min_area:
            counts['below_min_area'] += 1
            continue
        mask = seg_ids == seg['id']
        entities.append(
            dict(
                bbox=mask_bbox_xywh(mask),
                area=float(area),
                segmentation=encode_rle(mask),
                iscrowd=crowd,
                source_category_id=seg['category_id']))
    return entities, counts


def convert_panoptic_to_entities(pan_json: str,
                                 pan_png_dir: str,
                                 out_json: str,
                                 min_area: int = 0,
                                 category_name: str = 'entity',
                                 strict: bool = False,
                                 show_progress: bool = True) -> Dict:
    """Convert a COCO panoptic annotation file to a COCO instances file of
    entities.

    Args:
        pan_json: COCO panoptic JSON.
        pan_png_dir: Folder of its PNGs.
        out_json: Output path (written atomically).
        min_area: Minimum segment area in pixels.
        category_name: Name of the single output category.
        strict: Raise on the first bad image instead of skipping it.
        show_progress: Show a progress bar.

    Returns:
        dict: Statistics: ``images_in``, ``images_out``, ``empty_images``
        (kept, no entity), ``entities``, ``crowd``, ``skipped_images``
        (reason -> count), ``skipped_segments`` (reason -> count).
    """
    try:
        pan = load_json(pan_json, 'panoptic annotation file')
    except InputFileError as e:
        raise PanopticFormatError(str(e)) from None
    images = {img['id']: img for img in pan.get('images', [])}
    if not pan.get('annotations'):
        raise PanopticFormatError(f'{pan_json} has no annotations')
    skipped_images, skipped_segments = Counter(), Counter()
    out_images, out_anns = [], []
    empty = crowd = 0
    bar = ProgressBar(len(pan['annotations'])) if show_progress else None
    for ann in pan['annotations']:
        try:
            img = images.get(ann['image_id'])
            if img is None:
                raise PanopticFormatError(
                    f"image_id {ann['image_id']} is not in images",
                    'unknown_image')
            seg_ids = read_panoptic_png(
                osp.join(pan_png_dir, ann['file_name']))
            if seg_ids.shape != (img['height'], img['width']):
                raise PanopticFormatError(
                    f"{ann['file_name']}: PNG is {seg_ids.shape[::-1]} but "
                    f"the image is {(img['width'], img['height'])}",
                    'size_mismatch')
            entities, counts = panoptic_to_entities(seg_ids,
                                                    ann['segments_info'],
                                                    min_area)
        except PanopticFormatError as e:
            if strict:
                raise
            skipped_images[e.reason] += 1
            if bar is not None:
                bar.update()
            continue
        skipped_segments.update(counts)
        out_images.append(img)
        if not entities:
            empty += 1
        for ent in entities:
            crowd += ent['iscrowd']
            out_anns.append(
                dict(
                    id=len(out_anns) + 1,
                    image_id=img['id'],
                    category_id=1,
                    **ent))
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    stats = dict(
        images_in=len(pan['annotations']),
        images_out=len(out_images),
        empty_images=empty,
        entities=len(out_anns) - crowd,
        crowd=crowd,
        skipped_images=dict(skipped_images),
        skipped_segments=dict(skipped_segments))
    result = dict(
        info=dict(
            description='class-agnostic entities from COCO panoptic',
            source=osp.abspath(pan_json),
            min_area=min_area,
            stats=stats),
        images=out_images,
        annotations=out_anns,
        categories=[dict(id=1, name=category_name, supercategory='entity')])
    dump_json_atomic(result, out_json)
    return stats


def entity_stats_table(stats: Dict) -> str:
    """One-line-per-number text of :func:`convert_panoptic_to_entities`
    statistics."""
    lines = [
        f"images in: {stats['images_in']}",
        f"images out: {stats['images_out']} "
        f"(of which without entities: {stats['empty_images']})",
        f"entities: {stats['entities']}, crowd (ignore) regions: "
        f"{stats['crowd']}"
    ]
    for key in ('skipped_images', 'skipped_segments'):
        for reason, n in sorted(stats[key].items()):
            lines.append(f'{key.replace("_", " ")}: {reason}: {n}')
    return '\n'.join(lines)
