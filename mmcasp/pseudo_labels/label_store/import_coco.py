# Copyright (c) mmcasp contributors. All rights reserved.
"""A COCO pseudo-label file as a store.

The file is read whole (it had to fit in memory to be written that way);
its images become records in ``STORE/records/import.jsonl``, one line per
image with its annotations as instances, and the store is built from them
(:func:`~.build.build_store`). Images without annotations are kept, as in
the file; the file's ``info`` becomes the store's (its ``stats`` are
recomputed from the labels).
"""
import os
import os.path as osp
from collections import defaultdict

from mmcasp.utils.input_files import check_coco_file
from .build import build_store
from .errors import LabelStoreError
from .layout import RECORDS_DIR
from .writer import RecordWriter

__all__ = ['import_coco']

#: The annotation keys an imported instance keeps.
_INSTANCE_KEYS = ('bbox', 'score', 'category_id', 'segmentation', 'area',
                  'iscrowd', 'ignore')


def import_coco(coco_file: str,
                store: str,
                images_per_file: int = 50_000,
                show_progress: bool = False) -> dict:
    """Build ``store`` from the COCO file ``coco_file``; returns the
    manifest.

    Raises:
        InputFileError: The file is not a valid COCO file.
        LabelStoreError: An annotation without ``score`` or an image
            without ``height``/``width`` (a store holds pseudo labels of
            known image sizes), or ``store`` already holds records.
    """
    data = check_coco_file(coco_file, what='COCO file')
    records_dir = osp.join(store, RECORDS_DIR)
    if osp.isdir(records_dir) and os.listdir(records_dir):
        raise LabelStoreError(
            f'{store} already holds records ({records_dir}); import into a '
            'new folder')
    by_image = defaultdict(list)
    for i, ann in enumerate(data.get('annotations', [])):
        if 'score' not in ann:
            raise LabelStoreError(
                f'COCO file {coco_file}: annotations[{i}] (id '
                f'{ann.get("id")!r}) has no "score"; a label store holds '
                'pseudo labels, each with its score')
        by_image[ann['image_id']].append(
            {k: ann[k]
             for k in _INSTANCE_KEYS if k in ann})
    os.makedirs(records_dir, exist_ok=True)
    with RecordWriter(osp.join(records_dir, 'import.jsonl')) as writer:
        for img in data['images']:
            if 'height' not in img or 'width' not in img:
                raise LabelStoreError(
                    f'COCO file {coco_file}: image {img["id"]} has no '
                    '"height"/"width"; a label store records image sizes')
            writer.write(
                dict(
                    id=img['id'],
                    file_name=img['file_name'],
                    height=img['height'],
                    width=img['width'],
                    instances=by_image.pop(img['id'], [])))
        writer.sync()
    info = {k: v for k, v in data.get('info', {}).items() if k != 'stats'}
    info['imported_from'] = osp.abspath(coco_file)
    return build_store(
        records_dir,
        store,
        categories=data.get('categories') or None,
        info=info,
        refused={},
        drop_empty=False,
        images_per_file=images_per_file,
        show_progress=show_progress)
