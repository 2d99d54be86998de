# Copyright (c) mmcasp contributors. All rights reserved.
"""Images with optional image-level labels (PreDet pretraining)."""
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import join_path
from mmengine.logging import print_log
from mmengine.utils import is_abs

from mmcasp.registry import DATASETS
from mmcasp.utils.input_files import InputFileError, load_json
from .image_labels import image_level_labels
from .image_source import collect_images

__all__ = ['ImageDataset']


@DATASETS.register_module()
class ImageDataset(BaseDataset):
    """Any image source: a folder (searched recursively), a COCO json (its
    ``images``) or a text file of relative paths, as
    :func:`~mmcasp.datasets.collect_images` reads them; refused names
    (missing files, duplicates, unsafe paths) are logged and skipped.

    Args:
        ann_file: The source (relative to ``data_root``).
        data_prefix: ``dict(img=...)``: image root of json and list sources
            (default the source's folder).
        with_labels: Give each image its image-level labels (multi-hot over
            the labels file's categories sorted by id: ``image_labels`` (K, )
            float32) from the labels file's annotations.
            ``metainfo.classes`` are those categories.
        labels_file: The COCO json with those labels (relative to
            ``data_root``; default ``ann_file`` itself, which must then be a
            json). Its images are matched to the source's by file name
            (``images[].file_name``, relative to the image root), not by id,
            so an images-only json of an unlabeled split and another json
            annotating the same images can be used together. Images the
            labels file does not list, or lists without annotations, get an
            all-zero vector (unlabeled: the k-hot loss skips them). Parsed
            by :func:`~mmcasp.datasets.image_level_labels`.
    """

    def __init__(self,
                 *args,
                 with_labels: bool = False,
                 labels_file: Optional[str] = None,
                 **kwargs) -> None:
        self.with_labels = with_labels
        self.labels_file = labels_file
        if labels_file is not None and not with_labels:
            raise ValueError('labels_file is read only with with_labels=True')
        super().__init__(*args, **kwargs)

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.labels_file and self.data_root and \
                not is_abs(self.labels_file):
            self.labels_file = join_path(self.data_root, self.labels_file)

    def _load_labels(self) -> Tuple[int, Dict[str, set]]:
        """``(number of classes, {file_name: class indices})``; sets
        ``metainfo.classes``."""
        path = self.labels_file or self.ann_file
        if not path.endswith('.json'):
            raise ValueError('with_labels needs a COCO json with the labels '
                             f'(labels_file or ann_file), got {path}')
        coco = load_json(path, 'image-label file')  # says the path itself
        try:
            cats, labels = image_level_labels(coco)
        except InputFileError as e:
            raise InputFileError(f'{path}: {e}') from None
        self._metainfo['classes'] = tuple(c['name'] for c in cats)
        return len(cats), labels

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix.get('img') or None
        entries, refused, _ = collect_images(self.ann_file, root)
        if refused:
            print_log(
                f'{self.ann_file}: skipped {dict(refused)}', logger='current')
        labels = None
        if self.with_labels:
            num_classes, labels = self._load_labels()
        data_list = []
        for e in entries:
            info = dict(
                img_path=e['path'],
                img_id=e['id'],
                height=e.get('height'),
                width=e.get('width'))
            if labels is not None:
                vec = np.zeros(num_classes, np.float32)
                vec[sorted(labels.get(e['file_name'], ()))] = 1.
                info['image_labels'] = vec
            data_list.append(info)
        return data_list
