# Copyright (c) mmcasp contributors. All rights reserved.
"""The store's index: numpy columns, one row per image, memory-mapped.

Opening the index maps its files (:func:`numpy.load` with
``mmap_mode='r'``): nothing is read until used, the pages are shared by
every process that maps them (DataLoader workers included, with no
copy-on-write growth: there are no Python objects per image), and a
lookup touches a few pages. :class:`IndexWriter` appends rows in compact
arrays and writes the files atomically.
"""
import os
import os.path as osp
from array import array
from dataclasses import dataclass
from typing import Dict

import numpy as np

from .errors import StoreCorruptError
from .layout import INDEX_COLUMNS, INDEX_DIR, NAMES_BLOB, index_path

__all__ = ['StoreIndex', 'IndexWriter']

_TYPECODES = {'<i8': 'q', '<i4': 'i'}


@dataclass
class StoreIndex:
    """The index columns of a store (see
    :data:`~mmcasp.pseudo_labels.label_store.layout.INDEX_COLUMNS`) and
    the names blob, as (memory-mapped) arrays."""
    id: np.ndarray
    height: np.ndarray
    width: np.ndarray
    label_count: np.ndarray
    shard: np.ndarray
    offset: np.ndarray
    length: np.ndarray
    name_offset: np.ndarray
    names: np.ndarray

    def __len__(self) -> int:
        return len(self.id)

    def file_name(self, row: int) -> str:
        """Image ``row``'s file name."""
        start, end = self.name_offset[row], self.name_offset[row + 1]
        return bytes(self.names[start:end]).decode('utf-8')

    @classmethod
    def open(cls, store: str) -> 'StoreIndex':
        """Map the index of ``store``.

        Raises:
            StoreCorruptError: A column file is missing or unreadable, or
                the columns' lengths disagree.
        """
        cols: Dict[str, np.ndarray] = {}
        for name, dtype in INDEX_COLUMNS.items():
            path = index_path(store, name)
            if not osp.isfile(path):
                raise StoreCorruptError(
                    f'label store {store}: the index file {path} is '
                    'missing; rebuild the store (tools/misc/label_store.py '
                    'build)')
            try:
                arr = np.load(path, mmap_mode='r', allow_pickle=False)
            except (ValueError, OSError) as e:
                raise StoreCorruptError(
                    f'label store {store}: the index file {path} cannot be '
                    f'read ({e}); rebuild the store') from None
            if arr.dtype != np.dtype(dtype) or arr.ndim != 1:
                raise StoreCorruptError(
                    f'label store {store}: the index file {path} holds '
                    f'{arr.dtype} {arr.shape}, not a column of {dtype}; '
                    'rebuild the store')
            cols[name] = arr
        names_path = index_path(store, NAMES_BLOB)
        if not osp.isfile(names_path):
            raise StoreCorruptError(
                f'label store {store}: the index file {names_path} is '
                'missing; rebuild the store')
        size = osp.getsize(names_path)
        cols['names'] = np.memmap(names_path, dtype=np.uint8, mode='r') \
            if size else np.zeros(0, np.uint8)
        n = len(cols['id'])
        wrong = [
            k for k, v in cols.items()
            if k != 'names' and len(v) != (n + 1 if k == 'name_offset' else n)
        ]
        if wrong or (n and int(cols['name_offset'][-1]) != size):
            raise StoreCorruptError(
                f'label store {store}: the index files disagree on the '
                f'number of images ({n} ids; {wrong or "names.bin"} '
                'differ): a file is truncated or from another build; '
                'rebuild the store')
        return cls(**cols)


class IndexWriter:
    """Rows appended one at a time (compact arrays, no Python object per
    row), written by :meth:`save`."""

    def __init__(self) -> None:
        self.cols = {
            k: array(_TYPECODES[v])
            for k, v in INDEX_COLUMNS.items() if k != 'name_offset'
        }
        self.name_offset = array('q', [0])
        self.names = bytearray()

    def __len__(self) -> int:
        return len(self.cols['id'])

    def append(self, image_id: int, file_name: str, height: int, width: int,
               label_count: int, shard: int, offset: int, length: int) -> None:
        for k, v in (('id', image_id), ('height', height), ('width', width),
                     ('label_count', label_count), ('shard', shard),
                     ('offset', offset), ('length', length)):
            self.cols[k].append(v)
        self.names += file_name.encode('utf-8')
        self.name_offset.append(len(self.names))

    def save(self, store: str) -> None:
        """Write the index files of ``store`` (each atomically)."""
        os.makedirs(osp.join(store, INDEX_DIR), exist_ok=True)
        cols = dict(self.cols, name_offset=self.name_offset)
        for name, dtype in INDEX_COLUMNS.items():
            _save_atomic(
                index_path(store, name),
                np.frombuffer(cols[name], dtype=dtype.replace('<', '=')))
        path = index_path(store, NAMES_BLOB)
        with open(path + '.tmp', 'wb') as f:
            f.write(self.names)
            f.flush()
            os.fsync(f.fileno())
        os.replace(path + '.tmp', path)


def _save_atomic(path: str, arr: np.ndarray) -> None:
    tmp = path + '.tmp.npy'
    with open(tmp, 'wb') as f:
        np.save(f, arr.astype(arr.dtype.newbyteorder('<'), copy=False))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
