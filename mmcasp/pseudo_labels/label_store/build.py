# Copyright (c) mmcasp contributors. All rights reserved.
"""Build (or finalise) a store from record files, streamed.

Two passes, neither holding more than one record: :func:`~.scan.
locate_records` finds each image's last complete record (ids and byte
offsets only), then the records are read again one at a time **in image-id
order**, checked, normalised (:func:`~.record_format.store_record`),
counted (:class:`~.stats.LabelStats`) and appended to the data files, whose
index rows and manifest come last. The store is the same bytes whatever
split of the records into files (ranks, jobs, resumes) it came from.

The manifest is removed first and written last: a build that is stopped
leaves a store that says it is not finished, and running the build again
makes the same store (nothing is resumed half-way: the build is a pass over
files already on disk, minutes at a million images).
"""
import datetime
import glob
import json
import os
import os.path as osp
import time
import zlib
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.utils import ProgressBar

from .errors import IncompleteRecordsError, LabelStoreError, RecordError
from .index import IndexWriter
from .layout import DATA_DIR, data_file_name
from .manifest import manifest_path, new_manifest, write_manifest
from .record_format import record_problem, store_record
from .records import parse_line
from .scan import RecordLocations, locate_records
from .sidecars import merge_sidecars
from .stats import LabelStats

__all__ = ['DEFAULT_CATEGORIES', 'record_files', 'build_store']

#: The categories of class-agnostic pseudo labels.
DEFAULT_CATEGORIES = [dict(id=1, name='object', supercategory='object')]

#: Records between two progress bar updates.
_PROGRESS_EVERY = 10_000


def record_files(records: Union[str, Sequence[str]]) -> List[str]:
    """The ``*.jsonl`` files of a folder (sorted by name), or the given
    files.

    Raises:
        LabelStoreError: No such folder, or no record file in it.
    """
    if not isinstance(records, str):
        return list(records)
    if not osp.isdir(records):
        raise LabelStoreError(f'record folder {records} does not exist; give '
                              'the folder of *.jsonl record files (a '
                              "store's records/)")
    files = sorted(glob.glob(osp.join(records, '*.jsonl')))
    if not files:
        raise LabelStoreError(f'{records} holds no *.jsonl record file')
    return files


class _DataFiles:
    """The data files being written: ``labels-NNNNN.jsonl``, each
    finished (fsynced, renamed from ``.tmp``) at ``images_per_file``
    images."""

    def __init__(self, store: str, images_per_file: int,
                 on_data_file: Optional[Callable[[int], None]]) -> None:
        self.dir = osp.join(store, DATA_DIR)
        os.makedirs(self.dir, exist_ok=True)
        self.images_per_file = images_per_file
        self.on_data_file = on_data_file
        self.done: List[dict] = []
        self._f = None

    def write(self, line: bytes) -> tuple:
        """Append a record line; ``(shard, offset)`` of it."""
        if self._f is None:
            self._path = osp.join(self.dir, data_file_name(len(self.done)))
            self._f = open(self._path + '.tmp', 'wb')
            self._images, self._bytes, self._crc = 0, 0, 0
        offset = self._bytes
        self._f.write(line)
        self._bytes += len(line)
        self._crc = zlib.crc32(line, self._crc)
        self._images += 1
        shard = len(self.done)
        if self._images == self.images_per_file:
            self.close()
        return shard, offset

    def close(self) -> None:
        if self._f is None:
            return
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        self._f = None
        os.replace(self._path + '.tmp', self._path)
        self.done.append(
            dict(
                name=osp.basename(self._path),
                images=self._images,
                bytes=self._bytes,
                crc32=self._crc))
        if self.on_data_file is not None:
            self.on_data_file(len(self.done) - 1)

    def remove_others(self) -> None:
        """Delete data files (and leftovers) of an earlier build."""
        keep = {d['name'] for d in self.done}
        for path in glob.glob(osp.join(self.dir, 'labels-*')):
            if osp.basename(path) not in keep:
                os.remove(path)


def _check_wanted(locs: RecordLocations, wanted: Optional[np.ndarray],
                  where: str) -> RecordLocations:
    if wanted is None:
        return locs
    wanted = np.unique(np.asarray(wanted, dtype=np.int64))
    missing = np.setdiff1d(wanted, locs.ids, assume_unique=True)
    if len(missing):
        raise IncompleteRecordsError(
            f'{len(missing)} of {len(wanted)} images have no record in '
            f'{where} (e.g. image ids {", ".join(map(str, missing[:5]))}); '
            'run the labeling again to finish them (it resumes)')
    return locs.take(np.isin(locs.ids, wanted, assume_unique=True))


def _read_line(handles: Dict[int, object], locs: RecordLocations,
               row: int) -> bytes:
    k = int(locs.file_no[row])
    f = handles.get(k)
    if f is None:
        f = handles[k] = open(locs.files[k], 'rb')
    f.seek(int(locs.offset[row]))
    return f.read(int(locs.length[row]))


def build_store(records: Union[str, Sequence[str]],
                store: str,
                categories: Optional[List[dict]] = None,
                info: Optional[dict] = None,
                refused: Optional[Dict[str, int]] = None,
                drop_empty: Optional[bool] = None,
                wanted_ids: Optional[np.ndarray] = None,
                images_per_file: int = 50_000,
                show_progress: bool = False,
                run: Optional[dict] = None,
                on_data_file: Optional[Callable[[int], None]] = None) -> dict:
    """Build the store ``store`` from record files.

    Args:
        records: A folder of ``*.jsonl`` record files (with the
            ``run-*.json`` sidecars labeling writes, which give the
            defaults of the settings below), or a list of record files.
        store: The store folder (created; an existing store there is
            rebuilt).
        categories: The store's categories (default: the sidecars', else
            one ``object``). Every instance must name one of them.
        info: What the store says about how its labels were made (default:
            the sidecars'); ``date_created`` is added.
        refused: Entries the image source refused, by reason (counted as
            listed and skipped; default: the sidecars').
        drop_empty: Leave images without a label out (default: the
            sidecars', else ``True``).
        wanted_ids: The images that must have a record (default: those the
            sidecars list); records of other images are left out.
        images_per_file: Images per data file.
        show_progress: A progress bar per pass.
        run: More for the manifest's ``run`` section.
        on_data_file: Called with each data file's number once it is
            complete (progress, tests).

    Returns:
        dict: The manifest.

    Raises:
        RecordError: A record line that is not valid JSON, or not a valid
            record (named by file and line).
        IncompleteRecordsError: Wanted images without a record, or parts
            of independent jobs that have not finished.
        LabelStoreError: No record file; sidecars of different runs.
    """
    if images_per_file < 1:
        raise ValueError(f'images_per_file must be >= 1: {images_per_file}')
    t0 = time.time()
    files = record_files(records)
    where = records if isinstance(records, str) else 'the record files'
    settings = merge_sidecars(records) if isinstance(records, str) else \
        merge_sidecars('', [])
    categories = categories or settings.categories or DEFAULT_CATEGORIES
    info = dict(settings.info if info is None else info)
    drop_empty = settings.drop_empty if drop_empty is None else drop_empty
    refused = settings.refused if refused is None else refused
    wanted = settings.ids if wanted_ids is None else wanted_ids
    stats = LabelStats(drop_empty, refused)
    cat_ids = {c['id'] for c in categories}

    locs = _check_wanted(locate_records(files), wanted, where)
    os.makedirs(store, exist_ok=True)
    if osp.exists(manifest_path(store)):
        os.remove(manifest_path(store))  # not finished until rebuilt
    data = _DataFiles(store, images_per_file, on_data_file)
    index = IndexWriter()
    handles: Dict[int, object] = {}
    bar = ProgressBar(len(locs)) if show_progress and len(locs) else None
    try:
        for row in range(len(locs)):
            path = locs.files[int(locs.file_no[row])]
            line_no = int(locs.line_no[row])
            rec = parse_line(_read_line(handles, locs, row), path, line_no)
            why = record_problem(rec, cat_ids)
            if why:
                raise RecordError(
                    f'{path}, line {line_no} (image id {rec.get("id")}): '
                    f'{why}; fix the record, or delete its line to label '
                    'that image again')
            if stats.add(rec):
                out = store_record(rec)
                line = (json.dumps(out) + '\n').encode('utf-8')
                shard, offset = data.write(line)
                index.append(out['id'],
                             out['file_name'], out['height'], out['width'],
                             len(out['instances']), shard, offset, len(line))
            if bar is not None and (row + 1) % _PROGRESS_EVERY == 0:
                bar.update(_PROGRESS_EVERY)
        data.close()
    finally:
        for f in handles.values():
            f.close()
    if bar is not None:
        bar.update(len(locs) % _PROGRESS_EVERY)
        print()
    data.remove_others()
    index.save(store)
    result = stats.result()
    result['dropped_predictions'] = dict(sorted(stats.dropped.items()))
    info.setdefault('date_created',
                    datetime.datetime.now().isoformat(timespec='seconds'))
    run_info = dict(
        settings.run,
        duplicate_records=locs.duplicates,
        build_s=round(time.time() - t0, 3),
        **(run or {}))
    manifest = new_manifest(categories, info, result, data.done, run_info)
    write_manifest(store, manifest)
    return manifest
