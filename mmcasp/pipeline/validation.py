# Copyright (c) mmcasp contributors. All rights reserved.
"""The checks of a run's data, before any stage runs.

What belongs to one stage is that stage's ``check``
(:mod:`mmcasp.pipeline.stages`); here are the data splits and files every
stage shares. Each function returns lines saying what to fix.
"""
import os.path as osp
from typing import List, Sequence

from mmengine.logging import print_log

from mmcasp.utils import (InputFileError, coco_problems, format_problems,
                          load_json)

__all__ = [
    'coco_file_problems', 'split_problems', 'image_label_problems',
    'vis_backend_problems', 'unlabeled_image_problems'
]


def coco_file_problems(name: str, path: str) -> List[str]:
    """A COCO annotation file's problems, as lines of a validation error."""
    try:
        problems = coco_problems(load_json(path, 'COCO file'))
    except InputFileError as e:
        return [f'{name}: {e}']
    return [format_problems(f'{name}: {path}', problems)] if problems else []


def split_problems(ctx) -> List[str]:
    """The splits' files and folders exist; labeled and val are valid
    COCO files."""
    problems = []
    for split in ('labeled', 'unlabeled', 'val'):
        d = ctx.split(split)
        for key in ('ann', 'img'):
            if not osp.exists(d[key]):
                problems.append(f'data.{split}.{key}: {d[key]} does not exist')
        if split != 'unlabeled' and osp.isfile(d['ann']):
            problems.extend(coco_file_problems(f'data.{split}.ann', d['ann']))
    return problems


def image_label_problems(ctx) -> List[str]:
    """``image_labels``: the unlabeled split's, a COCO file with
    categories."""
    problems = [
        f'data.{split}.image_labels: only the unlabeled split\'s image '
        'labels are used; remove it here' for split in ('labeled', 'val')
        if ctx.split(split).get('image_labels')
    ]
    path = ctx.split('unlabeled').get('image_labels')
    if not path:
        return problems
    if not osp.isfile(path):
        return problems + [
            f'data.unlabeled.image_labels: {path} does not exist'
        ]
    try:
        ctx.image_labels()
    except InputFileError as e:
        problems.append(f'data.unlabeled.image_labels: {e}')
    return problems


def vis_backend_problems(vis_backends: Sequence[dict]) -> List[str]:
    """TensorBoard logging needs its package."""
    if not any('Tensorboard' in b.get('type', '') for b in vis_backends):
        return []
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return [
            'TensorBoard logging needs the tensorboard package: pip install '
            'tensorboard (or mmcasp[tensorboard])'
        ]
    return []


def unlabeled_image_problems(ctx) -> List[str]:
    """The unlabeled split lists readable images, and the image-label file
    names some of them (file names as the image source lists them)."""
    from mmcasp.datasets import collect_images
    unlabeled = ctx.settings.data.unlabeled
    try:
        entries = collect_images(unlabeled.ann, unlabeled.img)[0]
    except ValueError as e:
        return [f'data.unlabeled: {e}']
    _, labels = ctx.image_labels()
    if labels is None:
        return []
    found = sum(e['file_name'] in labels for e in entries)
    if not found:
        return [
            f'data.unlabeled.image_labels: none of its {len(labels)} file '
            f'names is one of the {len(entries)} unlabeled images (e.g. '
            f'{next(iter(labels), None)!r} vs '
            f"{entries[0]['file_name'] if entries else None!r}); file names "
            'are matched as the image source lists them, relative to '
            'data.unlabeled.img'
        ]
    print_log(
        f'[casp] data.unlabeled.image_labels: {found} of {len(entries)} '
        'unlabeled images have image-level labels',
        logger='current')
    return []
