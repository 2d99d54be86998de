# Copyright (c) mmcasp contributors. All rights reserved.
"""Where things are in a label store, and its format's name and version.

A store is a folder::

    STORE/
      manifest.json          format, version, categories, info, stats,
                             data files (images, bytes, crc32); written
                             last: a store without it is not finished
      index/*.npy            one row per image, sorted by image id
                             (:data:`INDEX_COLUMNS`), and names.bin
      data/labels-00000.jsonl  the records, one JSON line per image, in id
                             order, at most ``images_per_file`` per file
      records/               what labeling wrote (the build's input):
                             append-only record files, one per rank or job
                             (:func:`record_file_name`), and a sidecar
                             ``run-<tag>.json`` per finished rank or job

The data files, the index and the manifest (but for its ``run`` section
and ``info.date_created``) do not depend on how many ranks or jobs wrote
the records, nor on how often a run was resumed.
"""
import os.path as osp
from typing import Optional, Tuple

__all__ = [
    'FORMAT', 'FORMAT_VERSION', 'MANIFEST', 'INDEX_DIR', 'DATA_DIR',
    'RECORDS_DIR', 'NAMES_BLOB', 'INDEX_COLUMNS', 'data_file_name',
    'record_file_name', 'run_tag', 'is_store_path', 'index_path'
]

FORMAT = 'mmcasp-label-store'
FORMAT_VERSION = 1
MANIFEST = 'manifest.json'
INDEX_DIR = 'index'
DATA_DIR = 'data'
RECORDS_DIR = 'records'
NAMES_BLOB = 'names.bin'

#: The index columns (one ``<name>.npy`` each, little-endian): one row per
#: image of the store in image-id order; ``name_offset`` has one more row
#: (image ``i``'s file name is ``names.bin[name_offset[i]:name_offset[i +
#: 1]]``, UTF-8). ``shard`` numbers the data file, ``offset`` and
#: ``length`` locate the record's line (its newline included).
INDEX_COLUMNS = {
    'id': '<i8',
    'height': '<i4',
    'width': '<i4',
    'label_count': '<i4',
    'shard': '<i4',
    'offset': '<i8',
    'length': '<i8',
    'name_offset': '<i8',
}


def data_file_name(shard: int) -> str:
    """``labels-00000.jsonl``: the store's data file number ``shard``."""
    return f'labels-{shard:05d}.jsonl'


def run_tag(rank: int,
            world: int,
            part: Optional[Tuple[int, int]] = None) -> str:
    """The name of one labeling process's output: ``shard-RRR-of-WWW`` for
    rank ``rank`` of ``world``, prefixed ``part-III-of-NNN-`` for job
    ``part=(i, n)`` of independent jobs."""
    tag = f'shard-{rank:03d}-of-{world:03d}'
    if part is not None:
        tag = f'part-{part[0]:03d}-of-{part[1]:03d}-{tag}'
    return tag


def record_file_name(rank: int,
                     world: int,
                     part: Optional[Tuple[int, int]] = None) -> str:
    """The append-only record file of one labeling process (see
    :func:`run_tag`)."""
    return run_tag(rank, world, part) + '.jsonl'


def index_path(store: str, column: str) -> str:
    """The file of index column ``column`` (or of :data:`NAMES_BLOB`)."""
    name = column if column == NAMES_BLOB else column + '.npy'
    return osp.join(store, INDEX_DIR, name)


def is_store_path(path: str) -> bool:
    """Whether ``path`` names a store rather than a COCO file: anything
    but a ``.json`` file name."""
    return not str(path).lower().endswith('.json')
