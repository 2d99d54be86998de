# Copyright (c) mmcasp contributors. All rights reserved.
"""The embedded toy dataset: generated shapes on textured stuff regions.

Each image has stuff regions (``sky`` on top, ``ground`` below the horizon,
sometimes a ``water`` pond) and 1-6 *things* drawn over them. Thing classes
come in look-alike pairs (``disk``/``ring``, ``square``/``frame``,
``triangle``/``cross``) with random colours, textures, scales (about 6-45% of
the image side) and rotations; later things occlude earlier ones, and an
instance whose visible part is too small is dropped. Everything is seeded:
the same arguments give byte-identical files.

Written files (under ``out_dir``)::

    images/{labeled,unlabeled,val}/000000.png
    annotations/instances_{split}.json   COCO instances (things, RLE masks)
    annotations/unlabeled.json           images only (the unlabeled set)
    annotations/panoptic_{split}.json    COCO panoptic (things + stuff)
    annotations/panoptic_{split}/000000.png
    annotations/entities_{split}.json    entities (things + stuff), one class

``instances_unlabeled.json`` keeps the hidden ground truth of the unlabeled
split so pseudo-label quality can be measured; training never reads it.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from mmcasp.utils.fileio import dump_json_atomic
from .entities import convert_panoptic_to_entities
from .rle import encode_rle, mask_bbox_xywh

__all__ = [
    'TOY_THING_CLASSES', 'TOY_STUFF_CLASSES', 'render_toy_image',
    'make_toy_dataset', 'toy_split_sizes'
]

TOY_THING_CLASSES = ('disk', 'ring', 'square', 'frame', 'triangle', 'cross')
TOY_STUFF_CLASSES = ('sky', 'ground', 'water')
SPLITS = ('labeled', 'unlabeled', 'val')


def _texture(rng: np.random.Generator, h: int, w: int,
             base: np.ndarray) -> np.ndarray:
    """A (h, w, 3) uint8 texture around colour ``base`` (3,)."""
    kind = rng.integers(4)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    if kind == 1:  # stripes
        period = rng.uniform(3, 8)
        angle = rng.uniform(0, np.pi)
        phase = (xx * np.cos(angle) + yy * np.sin(angle)) / period
        img *= (0.65 + 0.35 * (np.floor(phase) % 2))[..., None]
    elif kind == 2:  # checker
        cell = int(rng.integers(3, 7))
        img *= (0.7 + 0.3 * ((xx // cell + yy // cell) % 2))[..., None]
    elif kind == 3:  # speckle
        img *= rng.uniform(0.75, 1.0, (h, w, 1))
    img += rng.normal(0, 6, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _stuff_layout(rng: np.random.Generator, size: int) -> np.ndarray:
    """(H, W) int map of stuff ids: 0 sky, 1 ground, 2 water."""
    yy, xx = np.mgrid[0:size, 0:size]
    horizon = rng.uniform(0.3, 0.6) * size
    slope = rng.uniform(-0.25, 0.25)
    wave = 2.0 * np.sin(xx / rng.uniform(6, 14) + rng.uniform(0, 6))
    layout = np.where(yy < horizon + slope * (xx - size / 2) + wave, 0, 1)
    if rng.random() < 0.5:  # a pond on the ground
        cx = rng.uniform(0.2, 0.8) * size
        cy = rng.uniform(horizon + 0.15 * size, 1.0 * size)
        ax, ay = rng.uniform(0.15, 0.4) * size, rng.uniform(0.06, 0.15) * size
        pond = ((xx - cx) / ax)**2 + ((yy - cy) / ay)**2 < 1
        layout = np.where(pond & (layout == 1), 2, layout)
    return layout.astype(np.int64)


def _render_stuff(rng: np.random.Generator, layout: np.ndarray) -> np.ndarray:
    size = layout.shape[0]
    yy = np.mgrid[0:size, 0:size][0].astype(np.float32) / size
    img = np.zeros((size, size, 3), np.float32)
    # sky: vertical gradient, light blue to white-ish (RGB)
    sky = np.stack([150 + 80 * yy, 190 + 50 * yy, 235 + 15 * yy], -1)
    sky += rng.normal(0, 3, sky.shape)
    ground_base = rng.choice([[110, 85, 50], [70, 120, 50], [140, 120, 80]])
    ground = _texture(rng, size, size, np.array(ground_base, np.float32))
    water = np.stack([
        40 + 30 * np.sin(np.arange(size) / 2.0)[:, None] * np.ones((1, size)),
        90 + 20 * np.sin(np.arange(size) / 2.0)[:, None] * np.ones((1, size)),
        np.full((size, size), 170.0)
    ], -1)
    water += rng.normal(0, 5, water.shape)
    for sid, tex in enumerate((sky, ground, water)):
        img[layout == sid] = np.asarray(tex, np.float32)[layout == sid]
    return img


def _shape_mask(rng: np.random.Generator, cls: int, size: int, cx: float,
                cy: float, r: float) -> np.ndarray:
    """Binary (size, size) mask of thing class ``cls`` centred at (cx, cy)
    with radius ``r``."""
    m = np.zeros((size, size), np.uint8)
    angle = rng.uniform(0, 2 * np.pi)
    name = TOY_THING_CLASSES[cls]
    c = (int(round(cx)), int(round(cy)))
    if name in ('disk', 'ring'):
        axes = (int(round(r)), int(round(r * rng.uniform(0.8, 1.0))))
        cv2.ellipse(m, c, axes, np.degrees(angle), 0, 360, 1, -1)
        if name == 'ring':
            inner = (max(1, int(axes[0] * 0.55)), max(1, int(axes[1] * 0.55)))
            cv2.ellipse(m, c, inner, np.degrees(angle), 0, 360, 0, -1)
    elif name in ('square', 'frame'):
        box = cv2.boxPoints(((cx, cy), (1.6 * r, 1.6 * r), np.degrees(angle)))
        cv2.fillPoly(m, [np.round(box).astype(np.int32)], 1)
        if name == 'frame':
            inner = cv2.boxPoints(
                ((cx, cy), (0.9 * r, 0.9 * r), np.degrees(angle)))
            cv2.fillPoly(m, [np.round(inner).astype(np.int32)], 0)
    elif name == 'triangle':
        pts = [(cx + r * np.cos(angle + k * 2 * np.pi / 3),
                cy + r * np.sin(angle + k * 2 * np.pi / 3)) for k in range(3)]
        cv2.fillPoly(m, [np.round(np.array(pts)).astype(np.int32)], 1)
    else:  # cross
        for a in (angle, angle + np.pi / 2):
            bar = cv2.boxPoints(((cx, cy), (2 * r, 0.55 * r), np.degrees(a)))
            cv2.fillPoly(m, [np.round(bar).astype(np.int32)], 1)
    return m.astype(bool)


def render_toy_image(
    rng: np.random.Generator,
    size: int = 128,
    max_things: int = 6,
    min_visible: float = 0.35,
    min_area: int = 16
) -> Tuple[np.ndarray, List[dict], np.ndarray, List[dict]]:
    """Render one toy image.

    Args:
        rng: Random generator (all randomness comes from it).
        size: Image side in pixels.
        max_things: At most this many things are drawn (at least 1).
        min_visible: A thing whose visible area is below this fraction of
            its full area (occlusion, image border) stays painted but gets no
            annotation (returned in ``dropped``), like an object annotators
            skipped.
        min_area: Minimum visible area in pixels for an annotated thing.

    Returns:
        tuple: ``img`` (H, W, 3) uint8 **BGR**; ``things``, a list of dicts
        with ``label`` (index into :data:`TOY_THING_CLASSES`) and ``mask``
        (H, W) bool of the visible part; ``stuff_layout`` (H, W) int64 with
        stuff index per pixel; ``dropped`` things (same format) that were
        drawn but are too occluded to annotate.
    """
    layout = _stuff_layout(rng, size)
    img = _render_stuff(rng, layout)
    n = int(rng.integers(1, max_things + 1))
    drawn = []
    for _ in range(n):
        cls = int(rng.integers(len(TOY_THING_CLASSES)))
        r = rng.uniform(0.03, 0.22) * size
        cx, cy = rng.uniform(0.05, 0.95, 2) * size
        full = _shape_mask(rng, cls, size, cx, cy, r)
        if full.sum() < min_area:
            continue
        colour = rng.uniform(20, 235, 3).astype(np.float32)
        tex = _texture(rng, size, size, colour)
        img[full] = tex[full]
        for d in drawn:  # occlusion of what was drawn before
            d['mask'] &= ~full
        drawn.append(dict(label=cls, mask=full.copy(), full=int(full.sum())))
    things, dropped = [], []
    for d in drawn:
        area = int(d['mask'].sum())
        ok = area >= min_area and area >= min_visible * d['full']
        (things if ok else dropped).append(
            dict(label=d['label'], mask=d['mask']))
    img = np.clip(img, 0, 255).astype(np.uint8)[..., ::-1]  # RGB -> BGR
    return np.ascontiguousarray(img), things, layout, dropped


def _id2rgb(seg_id: int) -> Tuple[int, int, int]:
    return seg_id % 256, (seg_id // 256) % 256, seg_id // 65536


def _categories() -> Tuple[List[dict], List[dict]]:
    things = [
        dict(id=i + 1, name=n, supercategory='shape', isthing=1)
        for i, n in enumerate(TOY_THING_CLASSES)
    ]
    stuff = [
        dict(id=len(things) + i + 1, name=n, supercategory='stuff', isthing=0)
        for i, n in enumerate(TOY_STUFF_CLASSES)
    ]
    return things, stuff


def make_toy_dataset(out_dir: str,
                     num_images: Optional[Dict[str, int]] = None,
                     image_size: int = 128,
                     seed: int = 0,
                     max_things: int = 6,
                     show_progress: bool = True) -> Dict[str, str]:
    """Generate the toy dataset under ``out_dir``.

    Args:
        out_dir: Output folder (created; existing files are overwritten).
        num_images: Images per split, default
            ``dict(labeled=120, unlabeled=240, val=60)``; a split that is
            missing or 0 gets no files.
        image_size: Side of the square images.
        seed: Seed; split ``k`` uses ``seed * 1000 + k`` so splits do not
            share images.
        max_things: Maximum things per image.
        show_progress: Show an mmengine progress bar.

    Returns:
        dict: Paths of the written annotation files and image folders, keyed
        e.g. ``instances_labeled``, ``panoptic_val``, ``images_unlabeled``.
    """
    num_images = num_images or dict(labeled=120, unlabeled=240, val=60)
    unknown = set(num_images) - set(SPLITS)
    if unknown:
        raise ValueError(f'unknown splits {sorted(unknown)}; use {SPLITS}')
    thing_cats, stuff_cats = _categories()
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    paths: Dict[str, str] = {}
    total = sum(num_images.values())
    bar = ProgressBar(total) if show_progress and total else None
    img_id_base = 0
    for split_idx, split in enumerate(SPLITS):
        n = num_images.get(split, 0)
        if n == 0:  # splits not asked for get no files
            continue
        rng = np.random.default_rng(seed * 1000 + split_idx)
        img_dir = osp.join(out_dir, 'images', split)
        pan_dir = osp.join(ann_dir, f'panoptic_{split}')
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(pan_dir, exist_ok=True)
        images, anns, pan_anns = [], [], []
        for k in range(n):
            img_id = img_id_base + k + 1
            img, things, layout, _ = render_toy_image(
                rng, image_size, max_things=max_things)
            file_name = f'{img_id:06d}.png'
            cv2.imwrite(osp.join(img_dir, file_name), img)
            images.append(
                dict(
                    id=img_id,
                    file_name=file_name,
                    height=image_size,
                    width=image_size))
            pan = np.zeros((image_size, image_size, 3), np.uint8)
            segments = []
            thing_union = np.zeros(layout.shape, bool)
            for t in things:
                bbox = mask_bbox_xywh(t['mask'])
                anns.append(
                    dict(
                        id=len(anns) + 1,
                        image_id=img_id,
                        category_id=t['label'] + 1,
                        bbox=bbox,
                        area=float(t['mask'].sum()),
                        segmentation=encode_rle(t['mask']),
                        iscrowd=0))
                seg_id = len(segments) + 1
                pan[t['mask']] = _id2rgb(seg_id)
                thing_union |= t['mask']
                segments.append(
                    dict(
                        id=seg_id,
                        category_id=t['label'] + 1,
                        area=int(t['mask'].sum()),
                        bbox=bbox,
                        iscrowd=0))
            for s in range(len(TOY_STUFF_CLASSES)):
                m = (layout == s) & ~thing_union
                if not m.any():
                    continue
                seg_id = len(segments) + 1
                pan[m] = _id2rgb(seg_id)
                segments.append(
                    dict(
                        id=seg_id,
                        category_id=stuff_cats[s]['id'],
                        area=int(m.sum()),
                        bbox=mask_bbox_xywh(m),
                        iscrowd=0))
            # Pixels covered by dropped (too occluded) things stay VOID (0),
            # as unlabeled pixels are in COCO panoptic. Pixels of annotated
            # things and stuff are set above.
            pan_name = file_name
            cv2.imwrite(osp.join(pan_dir, pan_name), pan[..., ::-1])
            pan_anns.append(
                dict(
                    image_id=img_id,
                    file_name=pan_name,
                    segments_info=segments))
            if bar is not None:
                bar.update()
        img_id_base += n
        info = dict(
            description=f'mmcasp toy dataset, split {split}',
            seed=seed,
            image_size=image_size,
            version='1')
        inst = dict(
            info=info, images=images, annotations=anns, categories=thing_cats)
        key = f'instances_{split}'
        paths[key] = osp.join(ann_dir, f'{key}.json')
        dump_json_atomic(inst, paths[key])
        panoptic = dict(
            info=info,
            images=images,
            annotations=pan_anns,
            categories=thing_cats + stuff_cats)
        paths[f'panoptic_{split}'] = osp.join(ann_dir,
                                              f'panoptic_{split}.json')
        dump_json_atomic(panoptic, paths[f'panoptic_{split}'])
        paths[f'panoptic_{split}_dir'] = pan_dir
        paths[f'entities_{split}'] = osp.join(ann_dir,
                                              f'entities_{split}.json')
        convert_panoptic_to_entities(
            paths[f'panoptic_{split}'],
            pan_dir,
            paths[f'entities_{split}'],
            strict=True,
            show_progress=False)
        paths[f'images_{split}'] = img_dir
        if split == 'unlabeled':
            paths['unlabeled'] = osp.join(ann_dir, 'unlabeled.json')
            dump_json_atomic(
                dict(
                    info=info,
                    images=images,
                    annotations=[],
                    categories=thing_cats), paths['unlabeled'])
    if bar is not None:
        print()
    return paths


def toy_split_sizes(sizes: Sequence[int]) -> Dict[str, int]:
    """``(labeled, unlabeled, val)`` -> ``num_images`` dict."""
    return dict(zip(SPLITS, (int(s) for s in sizes)))
