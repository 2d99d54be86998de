# Copyright (c) mmcasp contributors. All rights reserved.
"""The first pass of a build: where each image's record is.

Streams every record file once and keeps, per complete line, only its
image id and location (a few integers, in compact arrays); the records
themselves are read again one at a time by the second pass. An image
recorded more than once (a resumed run redid a batch whose lines were
written but not all synced) keeps its **last** complete record: in file
name order, then line order. The result is sorted by image id, so what
follows does not depend on how the records were split into files.
"""
from array import array
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np

from .records import iter_lines, line_id

__all__ = ['RecordLocations', 'locate_records']


@dataclass
class RecordLocations:
    """One row per image (sorted by id): which file (``file_no`` into
    ``files``), byte ``offset``, ``length`` and ``line_no`` hold its
    record; ``duplicates``: the earlier records left out."""
    files: List[str]
    ids: np.ndarray
    file_no: np.ndarray
    offset: np.ndarray
    length: np.ndarray
    line_no: np.ndarray
    duplicates: int

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, keep: np.ndarray) -> 'RecordLocations':
        """The rows where ``keep`` (a boolean mask) is true."""
        return RecordLocations(self.files, self.ids[keep], self.file_no[keep],
                               self.offset[keep], self.length[keep],
                               self.line_no[keep], self.duplicates)


def locate_records(files: Sequence[str]) -> RecordLocations:
    """Locate the last complete record of every image in ``files`` (in
    this order).

    Raises:
        RecordError: A complete line that is not a JSON object, or has no
            integer ``id`` (named by file and line).
    """
    ids, file_no, offsets = array('q'), array('i'), array('q')
    lengths, line_nos = array('q'), array('q')
    for k, path in enumerate(files):
        for line_no, (offset, line) in enumerate(iter_lines(path), start=1):
            ids.append(line_id(line, path, line_no))
            file_no.append(k)
            offsets.append(offset)
            lengths.append(len(line))
            line_nos.append(line_no)
    ids_a = np.frombuffer(ids, dtype=np.int64)
    # stable sort by id keeps file then line order inside an id: the last
    # of each run of equal ids is the last record written
    order = np.argsort(ids_a, kind='stable')
    sorted_ids = ids_a[order]
    last = np.ones(len(order), bool)
    last[:-1] = sorted_ids[1:] != sorted_ids[:-1]
    keep = order[last]
    return RecordLocations(
        files=list(files),
        ids=ids_a[keep].copy(),
        file_no=np.frombuffer(file_no, dtype=np.int32)[keep].copy(),
        offset=np.frombuffer(offsets, dtype=np.int64)[keep].copy(),
        length=np.frombuffer(lengths, dtype=np.int64)[keep].copy(),
        line_no=np.frombuffer(line_nos, dtype=np.int64)[keep].copy(),
        duplicates=int(len(order) - len(keep)))
