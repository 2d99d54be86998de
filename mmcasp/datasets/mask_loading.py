# Copyright (c) mmcasp contributors. All rights reserved.
"""Do a config's training masks reach the loss?

mmdet's ``LoadAnnotations(with_mask=True, poly2mask=False)`` (the setting of
mmdet's own CondInst configs) keeps masks as polygons, and it marks every
instance whose mask is RLE as ignored (``ignore_flag=1``): box and mask are
dropped from the loss without a word. Pseudo labels and entities are RLE, so
a stock config trained on them learns from nothing. ``poly2mask=True``
decodes polygons and RLE into ``BitmapMasks``, which CondInst, Mask R-CNN
and every mmdet mask loss take.

:func:`rle_mask_problems` finds such a config and :func:`check_mask_loading`
stops it before training with that fix; mmcasp's ``tools/train.py`` and the
pipeline run it.
"""
import os.path as osp
from typing import List, Sequence, Tuple

from mmengine.config import Config

from mmcasp.utils.input_files import InputFileError, load_json
from .dataset_checks import ann_file_path, leaf_datasets

__all__ = [
    'MaskLoadingError', 'drops_rle_masks', 'count_rle_masks',
    'rle_mask_problems', 'check_mask_loading'
]

#: The loaders checked by default.
TRAIN = ('train_dataloader', )


class MaskLoadingError(InputFileError):
    """A training pipeline would silently ignore the file's RLE masks."""


def drops_rle_masks(pipeline: List[dict]) -> bool:
    """Whether ``pipeline`` loads masks as polygons only (RLE ignored)."""
    return any(
        str(t.get('type', '')).split('.')[-1] == 'LoadAnnotations'
        and t.get('with_mask', False) and not t.get('poly2mask', True)
        for t in pipeline)


def count_rle_masks(ann_file: str) -> Tuple[int, int]:
    """``(annotations with an RLE mask, annotations)`` of a COCO file."""
    anns = load_json(ann_file, 'annotation file').get('annotations', [])
    rle = sum(isinstance(a.get('segmentation'), dict) for a in anns)
    return rle, len(anns)


def rle_mask_problems(cfg: Config,
                      loaders: Sequence[str] = TRAIN) -> List[str]:
    """One message per dataset whose pipeline would ignore RLE masks that
    its annotation file holds (files that do not exist yet are skipped)."""
    problems = []
    for name in loaders:
        if not cfg.get(name):
            continue
        for ds in leaf_datasets(cfg[name]):
            if not drops_rle_masks(ds.get('pipeline', [])):
                continue
            path = ann_file_path(ds)
            if path is None or not osp.isfile(path):
                continue
            rle, total = count_rle_masks(path)
            if rle:
                problems.append(
                    f'{name}: LoadAnnotations(with_mask=True, '
                    f'poly2mask=False) ignores every instance whose mask is '
                    f'RLE (box and mask), and {rle} of {total} annotations '
                    f'in {path} are RLE (pseudo labels and entities always '
                    'are). Set poly2mask=True in that LoadAnnotations: mmdet '
                    'then decodes polygons and RLE into BitmapMasks, which '
                    'its mask losses take.')
    return problems


def check_mask_loading(cfg: Config, loaders: Sequence[str] = TRAIN) -> None:
    """Raise :class:`MaskLoadingError` for :func:`rle_mask_problems`."""
    problems = rle_mask_problems(cfg, loaders)
    if problems:
        raise MaskLoadingError('\n'.join(problems))
