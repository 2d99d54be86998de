# Copyright (c) mmcasp contributors. All rights reserved.
"""Images with optional image-level labels (PreDet pretraining)."""
import json
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmcasp.registry import DATASETS
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
            the json's categories sorted by id: ``image_labels`` (K, )
            float32) from the json's annotations; images without one get an
            all-zero vector. ``metainfo.classes`` are those categories.
    """

    def __init__(self, *args, with_labels: bool = False, **kwargs) -> None:
        self.with_labels = with_labels
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix.get('img') or None
        entries, refused, _ = collect_images(self.ann_file, root)
        if refused:
            print_log(
                f'{self.ann_file}: skipped {dict(refused)}', logger='current')
        labels = None
        if self.with_labels:
            if not self.ann_file.endswith('.json'):
                raise ValueError('with_labels needs a COCO json source, got '
                                 f'{self.ann_file}')
            with open(self.ann_file) as f:
                coco = json.load(f)
            cats = sorted(coco.get('categories', []), key=lambda c: c['id'])
            if not cats:
                raise ValueError(f'{self.ann_file} has no categories')
            index = {c['id']: i for i, c in enumerate(cats)}
            self._metainfo['classes'] = tuple(c['name'] for c in cats)
            labels = {}
            for a in coco.get('annotations', []):
                vec = labels.setdefault(a['image_id'],
                                        np.zeros(len(cats), np.float32))
                vec[index[a['category_id']]] = 1.
        data_list = []
        for e in entries:
            info = dict(
                img_path=e['path'],
                img_id=e['id'],
                height=e.get('height'),
                width=e.get('width'))
            if labels is not None:
                info['image_labels'] = labels.get(
                    e['id'],
                    np.zeros(len(self._metainfo['classes']), np.float32))
            data_list.append(info)
        return data_list
