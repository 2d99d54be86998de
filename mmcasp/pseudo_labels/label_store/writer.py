# Copyright (c) mmcasp contributors. All rights reserved.
"""The append-only record writer of one labeling process."""
import json
import os
import os.path as osp
from typing import Optional

from .records import drop_partial_tail

__all__ = ['RecordWriter']


class RecordWriter:
    """Append-only JSON-lines writer of per-image records (one file).

    Every record is flushed; :meth:`sync` (called once per batch) fsyncs,
    so a killed run loses at most the batch being written. Opening an
    existing file cuts a partial last line off (a kill mid-write) by
    reading the file's tail only: resuming costs the same whatever the
    file's size.
    """

    def __init__(self, path: str) -> None:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        drop_partial_tail(path)
        self.path = path
        self._f = open(path, 'a')

    def write(self, record: dict) -> None:
        self._f.write(json.dumps(record) + '\n')
        self._f.flush()

    def sync(self) -> None:
        os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> Optional[bool]:
        self.close()
        return None
