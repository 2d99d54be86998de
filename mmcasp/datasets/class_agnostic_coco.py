# Copyright (c) mmcasp contributors. All rights reserved.
"""COCO-style dataset collapsed to one class (the α conversion of CaSP)."""
from typing import List, Union

from mmdet.datasets import CocoDataset

from mmcasp.registry import DATASETS
from .dataset_checks import EmptyDatasetError, empty_dataset_message

__all__ = ['ClassAgnosticCocoDataset']


@DATASETS.register_module()
class ClassAgnosticCocoDataset(CocoDataset):
    """A COCO instances file read as one class, ``object``.

    Differs from :class:`mmdet.datasets.CocoDataset` in one place: mmdet keeps
    only annotations whose category *name* is in ``metainfo['classes']``,
    this dataset keeps the annotations of **every** category of the file and
    gives them label 0. Everything else (crowd annotations become ignore
    regions, ``ignore`` annotations and degenerate boxes are skipped, empty
    images are filtered by ``filter_cfg``) is mmdet's.

    ``metainfo=dict(classes=('entity', ))`` names the class differently, e.g.
    for entity (things + stuff) data; exactly one class name is allowed.
    Works for labeled data and for pseudo-label files alike.

    A file that leaves no image (e.g. pseudo labels of a labeler whose
    scores all fell below δ) raises :class:`~mmcasp.datasets.
    EmptyDatasetError` naming the file and the fix, where mmengine would
    fail later in ``np.concatenate`` ("need at least one array to
    concatenate").
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def load_data_list(self) -> List[dict]:
        """Load the file; see the class docstring for what differs."""
        if len(self.metainfo['classes']) != 1:
            raise ValueError(
                'ClassAgnosticCocoDataset has exactly one class, got '
                f"metainfo classes {self.metainfo['classes']}")
        self._all_categories_set = False
        return super().load_data_list()

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        """Parse one image, mapping every category to label 0."""
        if not self._all_categories_set:
            # ``self.coco`` is alive while ``load_data_list`` parses images.
            self.cat_ids = self.coco.get_cat_ids()
            self.cat2label = {cat_id: 0 for cat_id in self.cat_ids}
            self._all_categories_set = True
        return super().parse_data_info(raw_data_info)

    def filter_data(self) -> List[dict]:
        """The parent's filter; none left raises
        :class:`~mmcasp.datasets.EmptyDatasetError`."""
        kept = super().filter_data()
        if not kept:
            raise EmptyDatasetError(
                empty_dataset_message(self.ann_file, self.data_list,
                                      self.filter_cfg, self.test_mode))
        return kept
