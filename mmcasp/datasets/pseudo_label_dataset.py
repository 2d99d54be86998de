# Copyright (c) mmcasp contributors. All rights reserved.
"""Training on a label store: one image's labels read per item.

:class:`PseudoLabelDataset` maps the store's index at init (numpy arrays:
DataLoader workers share its pages, with no Python object per image whose
reference counts would copy them) and reads an image's record in
:meth:`~PseudoLabelDataset.get_data_info` with one positioned read. It
yields what :class:`~mmcasp.datasets.ClassAgnosticCocoDataset` yields for
the store's COCO export: the same data infos (boxes, labels, RLE masks,
ignore flags, in the same order), filters (``filter_cfg``'s
``filter_empty_gt`` and ``min_size``, decided from the index alone) and
``metainfo``.
"""
import os.path as osp
from collections.abc import Sequence
from typing import List, Optional, Union

import numpy as np
from mmdet.datasets import CocoDataset
from mmengine.dataset import force_full_init
from mmengine.utils import is_abs

from mmcasp.registry import DATASETS
from .dataset_checks import (DatasetCheckError, EmptyDatasetError,
                             empty_dataset_message)

__all__ = ['PseudoLabelDataset', 'StoreImages']


class StoreImages(Sequence):
    """A dataset's images of a store: index rows in an int64 array.

    Item ``i`` is the index's view of an image (``img_id``, ``file_name``,
    ``height``, ``width``, ``label_count``), not its labels: those are read
    by :meth:`PseudoLabelDataset.get_data_info`. Slices and
    :meth:`take` give views of the same kind.
    """

    def __init__(self, labels, rows: np.ndarray) -> None:
        self.labels = labels
        self.rows = np.asarray(rows, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return StoreImages(self.labels, self.rows[i])
        row = int(self.rows[i])
        index = self.labels.index
        return dict(
            img_id=int(index.id[row]),
            file_name=index.file_name(row),
            height=int(index.height[row]),
            width=int(index.width[row]),
            label_count=int(index.label_count[row]))

    def take(self, positions) -> 'StoreImages':
        """The images at ``positions`` (of this view)."""
        return StoreImages(self.labels, self.rows[np.asarray(positions)])

    def labeled_images(self) -> int:
        """How many of the images have a label (from the index)."""
        return int(
            np.count_nonzero(
                np.asarray(self.labels.index.label_count)[self.rows]))


@DATASETS.register_module()
class PseudoLabelDataset(CocoDataset):
    """Pseudo labels of a label store (``tools/pseudo_label.py --out
    DIR``, ``tools/misc/label_store.py``), read lazily.

    ``dict(type='PseudoLabelDataset', store='work_dirs/pseudo/unlabeled',
    data_prefix=dict(img='data/unlabeled/'), filter_cfg=..., pipeline=...)``
    in place of a ``ClassAgnosticCocoDataset`` with the store's COCO
    export as ``ann_file``: the same samples, without reading the labels
    into memory (mmdet's ``CocoDataset`` holds every annotation in every
    rank, and its workers copy them).

    Args:
        store: The store folder (relative to ``data_root``, as
            ``ann_file`` would be).
        class_agnostic: Every category of the store is label 0 of one
            class (``metainfo`` classes: one name, default ``object``), as
            :class:`~mmcasp.datasets.ClassAgnosticCocoDataset`. ``False``:
            categories are the ``metainfo`` classes by name, as mmdet's
            ``CocoDataset`` (every category of the store must be one).
        data_prefix: ``img``: the images' folder; default the store's
            ``info.image_root`` (what the labeling run read).
        **kwargs: As mmdet's ``CocoDataset`` (``serialize_data`` is
            always off: the index is already compact and shared).

    Raises:
        LabelStoreError: The store is missing, unfinished, of another
            format version, or not whole (at init, or at ``full_init``
            with ``lazy_init=True``).
        EmptyDatasetError: ``filter_cfg`` keeps no image.
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self,
                 store: str,
                 *args,
                 class_agnostic: bool = True,
                 **kwargs) -> None:
        self.store = store
        self.class_agnostic = class_agnostic
        self._labels = None
        kwargs['serialize_data'] = False
        kwargs.setdefault('data_prefix', dict())
        super().__init__(*args, **kwargs)

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.store and not is_abs(self.store) and self.data_root:
            self.store = osp.join(self.data_root, self.store)

    def _set_categories(self, categories: List[dict]) -> None:
        classes = self.metainfo['classes']
        if self.class_agnostic:
            if len(classes) != 1:
                raise DatasetCheckError(
                    'PseudoLabelDataset(class_agnostic=True) has exactly '
                    f'one class, got metainfo classes {classes}')
            self.cat_ids = [c['id'] for c in categories]
            self.cat2label = {cat_id: 0 for cat_id in self.cat_ids}
            return
        names = [c['name'] for c in categories]
        other = [n for n in names if n not in classes]
        if other:
            raise DatasetCheckError(
                f'label store {self.store}: categories {other} are not '
                f'metainfo classes {classes}; give them as classes or use '
                'class_agnostic=True')
        self.cat_ids = [c['id'] for c in categories]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}

    def load_data_list(self) -> StoreImages:
        """Open the store (checked, index mapped); every image of it."""
        from mmcasp.pseudo_labels.label_store.reader import LabelStore
        self._labels = LabelStore(self.store)
        self._set_categories(self._labels.categories)
        if 'img' not in self.data_prefix:
            self.data_prefix['img'] = self._labels.info.get('image_root', '')
        return StoreImages(self._labels, np.arange(len(self._labels)))

    def filter_data(self) -> StoreImages:
        """mmdet's ``filter_cfg`` rules from the index: with
        ``filter_empty_gt``, images without a label go; images whose
        shorter side is below ``min_size`` go. None left raises
        :class:`~mmcasp.datasets.EmptyDatasetError`."""
        images = self.data_list
        if self.test_mode or self.filter_cfg is None:
            return images
        index = self._labels.index
        rows = images.rows
        keep = np.ones(len(rows), bool)
        if self.filter_cfg.get('filter_empty_gt', False):
            keep &= np.asarray(index.label_count)[rows] > 0
        min_size = self.filter_cfg.get('min_size', 0)
        if min_size:
            keep &= np.minimum(
                np.asarray(index.height)[rows],
                np.asarray(index.width)[rows]) >= min_size
        kept = StoreImages(self._labels, rows[keep])
        if not len(kept):
            raise EmptyDatasetError(
                empty_dataset_message(self.store, images, self.filter_cfg,
                                      self.test_mode))
        return kept

    def _get_unserialized_subset(self, indices: Union[Sequence,
                                                      int]) -> StoreImages:
        if isinstance(indices, int):
            return self.data_list[:indices] if indices >= 0 else \
                self.data_list[indices:]
        return self.data_list.take(list(indices))

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Image ``idx``'s data info, parsed from its record as
        ``CocoDataset`` parses the COCO export's entry."""
        from mmcasp.pseudo_labels.label_store.record_format import \
            coco_annotations
        row = int(self.data_list.rows[idx])
        rec = self._labels.record(row)
        raw_img = dict(
            id=rec['id'],
            file_name=rec['file_name'],
            height=rec['height'],
            width=rec['width'],
            img_id=rec['id'])
        info = self.parse_data_info(
            dict(raw_img_info=raw_img, raw_ann_info=coco_annotations(rec, 1)))
        info['sample_idx'] = idx if idx >= 0 else len(self) + idx
        return info

    @property
    def label_store(self) -> Optional[object]:
        """The opened :class:`~mmcasp.pseudo_labels.label_store.
        LabelStore` (``None`` before ``load_data_list``)."""
        return self._labels
