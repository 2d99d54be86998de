# Copyright (c) mmcasp contributors. All rights reserved.
"""Reading a store: one image's record by a positioned read, or all of
them in order, streamed.

:class:`LabelStore` checks the store when opened (:func:`~.check.
check_store`), maps its index and opens data files on first use, per
process: a DataLoader worker (forked or spawned) reads with its own file
descriptors and ``os.pread`` (no shared file position), and pickling the
store sends its path only.
"""
import contextlib
import os
from typing import Dict, Iterator

from .check import check_store, data_file_path
from .errors import StoreCorruptError
from .records import iter_lines, parse_line

__all__ = ['LabelStore']


class LabelStore:
    """A finished store, opened for reading.

    Args:
        path: The store folder.

    Raises:
        StoreNotFoundError, StoreVersionError, StoreCorruptError: The
            store is missing, unfinished, of another version, or not
            whole.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.manifest, self.index = check_store(path)
        self._files = [
            data_file_path(path, d['name'])
            for d in self.manifest['data_files']
        ]
        self._fds: Dict[int, int] = {}
        self._pid = os.getpid()

    @property
    def categories(self) -> list:
        return self.manifest['categories']

    @property
    def info(self) -> dict:
        return self.manifest['info']

    @property
    def stats(self) -> dict:
        return self.manifest['stats']

    def __len__(self) -> int:
        return len(self.index)

    def _fd(self, shard: int) -> int:
        if self._pid != os.getpid():  # a forked worker: its own files
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.get(shard)
        if fd is None:
            fd = self._fds[shard] = os.open(self._files[shard], os.O_RDONLY)
        return fd

    def read_line(self, row: int) -> bytes:
        """The record line of index row ``row`` (one ``pread``)."""
        shard = int(self.index.shard[row])
        offset, length = int(self.index.offset[row]), int(
            self.index.length[row])
        line = os.pread(self._fd(shard), length, offset)
        if len(line) != length:
            raise StoreCorruptError(
                f'{self._files[shard]} ends before the record of image '
                f'{int(self.index.id[row])} (bytes {offset}+{length}): the '
                'file was truncated since the store was opened; rebuild '
                'the store')
        return line

    def record(self, row: int) -> dict:
        """The record of index row ``row``.

        Raises:
            RecordError: The line is not valid JSON (the file changed
                since it was built: ``label_store.py check`` finds all).
            StoreCorruptError: The line holds another image's record.
        """
        shard = int(self.index.shard[row])
        rec = parse_line(
            self.read_line(row), self._files[shard],
            f'at byte {int(self.index.offset[row])}')
        if rec.get('id') != int(self.index.id[row]):
            raise StoreCorruptError(
                f'{self._files[shard]}: the record at byte '
                f'{int(self.index.offset[row])} is of image '
                f'{rec.get("id")!r}, the index says '
                f'{int(self.index.id[row])}; rebuild the store')
        return rec

    def image(self, row: int) -> dict:
        """``dict(id, file_name, height, width)`` of row ``row``, from the
        index alone."""
        return dict(
            id=int(self.index.id[row]),
            file_name=self.index.file_name(row),
            height=int(self.index.height[row]),
            width=int(self.index.width[row]))

    def iter_records(self) -> Iterator[dict]:
        """Every record, in image-id order, read sequentially."""
        for path in self._files:
            for line_no, (_, line) in enumerate(iter_lines(path), start=1):
                yield parse_line(line, path, line_no)

    def close(self) -> None:
        if self._pid == os.getpid():
            for fd in self._fds.values():
                os.close(fd)
        self._fds = {}

    def __getstate__(self) -> dict:
        return dict(path=self.path)

    def __setstate__(self, state: dict) -> None:
        self.__init__(state['path'])

    def __del__(self) -> None:
        # at interpreter exit the modules close() uses may be gone already;
        # a reader that cannot close then has nothing left to release
        with contextlib.suppress(Exception):
            self.close()
