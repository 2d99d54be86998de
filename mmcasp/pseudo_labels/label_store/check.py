# Copyright (c) mmcasp contributors. All rights reserved.
"""Is a store whole? Read-only checks, cheap and full.

:func:`check_store` runs whenever a store is opened (a dataset's init, the
tools' pre-Runner checks): the manifest's format and version, the index
columns, every data file there with the size the manifest gives and ending
in a newline, and no index row pointing past its data file's end; it
reads the index's location columns and a byte per data file, never the
records. :func:`verify_store` also reads every record (its JSON, its id,
the data files' checksums): ``tools/misc/label_store.py check``. Neither
writes anything.
"""
import os.path as osp
import zlib
from typing import Tuple

import numpy as np

from .errors import RecordError, StoreCorruptError
from .index import StoreIndex
from .layout import DATA_DIR
from .manifest import read_manifest
from .record_format import record_problem
from .records import iter_lines, parse_line

__all__ = ['check_store', 'verify_store', 'data_file_path']

_REBUILD = ('rebuild the store from its records (tools/misc/label_store.py '
            'build STORE/records STORE), or restore the file')


def data_file_path(store: str, name: str) -> str:
    return osp.join(store, DATA_DIR, name)


def _check_data_files(store: str, manifest: dict) -> None:
    for d in manifest['data_files']:
        path = data_file_path(store, d['name'])
        if not osp.isfile(path):
            raise StoreCorruptError(
                f'label store {store}: the data file {path} is missing; '
                f'{_REBUILD}')
        size = osp.getsize(path)
        if size != d['bytes']:
            what = 'truncated' if size < d['bytes'] else 'longer'
            raise StoreCorruptError(
                f'label store {store}: the data file {path} is {what} '
                f'({size} bytes, the manifest says {d["bytes"]}); '
                f'{_REBUILD}')
        if size:
            with open(path, 'rb') as f:
                f.seek(size - 1)
                if f.read(1) != b'\n':
                    raise StoreCorruptError(
                        f'label store {store}: the data file {path} does '
                        f'not end with a complete record; {_REBUILD}')


def _check_locations(store: str, manifest: dict, index: StoreIndex) -> None:
    files = manifest['data_files']
    if len(index) != manifest['images']:
        raise StoreCorruptError(
            f'label store {store}: the index has {len(index)} images, the '
            f'manifest {manifest["images"]}; {_REBUILD}')
    if not len(index):
        return
    shard = np.asarray(index.shard)
    if shard.min() < 0 or shard.max() >= len(files):
        raise StoreCorruptError(
            f'label store {store}: the index names data file '
            f'{int(shard.max())}, the manifest lists {len(files)}; '
            f'{_REBUILD}')
    sizes = np.array([d['bytes'] for d in files], dtype=np.int64)
    end = np.asarray(index.offset) + np.asarray(index.length)
    past = np.flatnonzero((end > sizes[shard]) | (index.offset < 0)
                          | (index.length <= 0))
    if len(past):
        row = int(past[0])
        raise StoreCorruptError(
            f'label store {store}: the index points past the end of '
            f'{data_file_path(store, files[int(shard[row])]["name"])} '
            f'(image id {int(index.id[row])}: bytes {int(index.offset[row])}'
            f'+{int(index.length[row])} of {int(sizes[shard[row]])}; '
            f'{len(past)} rows in all); {_REBUILD}')


def check_store(store: str) -> Tuple[dict, StoreIndex]:
    """The manifest and the (mapped) index of ``store``, once it is known
    to be whole (see the module docstring).

    Raises:
        StoreNotFoundError, StoreVersionError, StoreCorruptError: What is
            wrong, naming the file and what to do.
    """
    manifest = read_manifest(store)
    index = StoreIndex.open(store)
    _check_locations(store, manifest, index)
    _check_data_files(store, manifest)
    return manifest, index


def verify_store(store: str) -> dict:
    """:func:`check_store`, then every record read back: valid JSON, the
    image id and location the index gives, a valid record, each data
    file's crc32 the manifest's. Returns the manifest.

    Raises:
        RecordError, StoreCorruptError: The first problem found.
    """
    manifest, index = check_store(store)
    cat_ids = {c['id'] for c in manifest['categories']}
    row = 0
    for k, d in enumerate(manifest['data_files']):
        path = data_file_path(store, d['name'])
        crc = 0
        for line_no, (offset, line) in enumerate(iter_lines(path), start=1):
            crc = zlib.crc32(line, crc)
            rec = parse_line(line, path, line_no)
            if row >= len(index) or rec.get('id') != int(index.id[row]) or \
                    int(index.shard[row]) != k or \
                    int(index.offset[row]) != offset:
                raise StoreCorruptError(
                    f'{path}, line {line_no}: record of image '
                    f'{rec.get("id")!r} is not where the index says; '
                    f'{_REBUILD}')
            why = record_problem(rec, cat_ids)
            if why:
                raise RecordError(f'{path}, line {line_no}: {why}; '
                                  f'{_REBUILD}')
            row += 1
        if crc != d['crc32']:
            raise StoreCorruptError(
                f'label store {store}: the data file {path} does not have '
                f'the checksum the manifest gives (its bytes changed); '
                f'{_REBUILD}')
    if row != len(index):
        raise StoreCorruptError(f'label store {store}: the data files hold '
                                f'{row} records, the index {len(index)}; '
                                f'{_REBUILD}')
    return manifest
