# Copyright (c) mmcasp contributors. All rights reserved.
"""JSON-lines record files, streamed: one line per image, appended.

A record line is complete when it ends with a newline: a writer killed
mid-line leaves a last line without one, which readers skip (the image is
labeled again) and :func:`drop_partial_tail` cuts off before appending.
Nothing here holds more than one line (or one block of
:data:`TAIL_BLOCK` bytes) in memory, whatever the file's size.
"""
import json
import os
import re
from typing import Iterator, Tuple, Union

from .errors import RecordError

__all__ = [
    'TAIL_BLOCK', 'iter_lines', 'parse_line', 'complete_end',
    'drop_partial_tail', 'line_id', 'iter_record_ids', 'iter_records'
]

#: Bytes read at a time when looking for the last complete line.
TAIL_BLOCK = 1 << 16

# the writers' records start with the id (json.dumps keeps key order)
_ID_PREFIX = re.compile(rb'\{"id": (-?\d+)[,}]')


def iter_lines(path: str) -> Iterator[Tuple[int, bytes]]:
    """``(byte offset, line)`` of every complete line of ``path`` (the
    newline included), in file order; a last line without a newline (cut
    by a kill) is not yielded."""
    offset = 0
    with open(path, 'rb') as f:
        for line in f:
            if not line.endswith(b'\n'):
                return
            yield offset, line
            offset += len(line)


def parse_line(line: bytes, path: str, line_no: Union[int, str]) -> dict:
    """The record of one line (``line_no``: its number, or where it is,
    for messages).

    Raises:
        RecordError: The line is not a JSON object (named by file and line
            number).
    """
    where = f'line {line_no}' if isinstance(line_no, int) else line_no
    try:
        rec = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        msg = getattr(e, 'msg', str(e))
        raise RecordError(
            f'{path}, {where}: not valid JSON ({msg}); a record is '
            'one JSON object per line. Fix or delete that line (its image '
            'is then labeled again), or rebuild the file') from None
    if not isinstance(rec, dict):
        raise RecordError(f'{path}, {where}: a JSON '
                          f'{type(rec).__name__}, not a record object')
    return rec


def complete_end(path: str) -> int:
    """The size of ``path`` without a partial last line: the offset after
    its last newline (0 for none). Reads the file's tail backwards, one
    block at a time."""
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        end = size
        while end > 0:
            start = max(0, end - TAIL_BLOCK)
            f.seek(start)
            block = f.read(end - start)
            pos = block.rfind(b'\n')
            if pos >= 0:
                return start + pos + 1
            end = start
    return 0


def drop_partial_tail(path: str) -> int:
    """Cut a partial last line off ``path`` (left by a kill mid-write), in
    place; returns the bytes cut. A missing file is left alone."""
    if not os.path.isfile(path):
        return 0
    size = os.path.getsize(path)
    end = complete_end(path)
    if end < size:
        os.truncate(path, end)
    return size - end


def line_id(line: bytes, path: str, line_no: int) -> int:
    """The image id of a complete record line. Lines that start as the
    writers write them (``{"id": N, ...``) are not parsed further.

    Raises:
        RecordError: The line is not a JSON object with an integer id.
    """
    m = _ID_PREFIX.match(line)
    if m:
        return int(m.group(1))
    rec = parse_line(line, path, line_no)
    image_id = rec.get('id')
    if not isinstance(image_id, int) or isinstance(image_id, bool):
        raise RecordError(f'{path}, line {line_no}: "id" must be an integer '
                          f'image id, got {image_id!r}')
    return image_id


def iter_record_ids(path: str) -> Iterator[int]:
    """The image ids of ``path``'s complete records, streamed (a resume
    only needs which images are done)."""
    for line_no, (_, line) in enumerate(iter_lines(path), start=1):
        yield line_id(line, path, line_no)


def iter_records(path: str) -> Iterator[Tuple[int, int, int, dict]]:
    """``(line number, offset, length, record)`` of every complete line of
    ``path``, streamed.

    Raises:
        RecordError: A complete line is not a JSON object.
    """
    for line_no, (offset, line) in enumerate(iter_lines(path), start=1):
        yield line_no, offset, len(line), parse_line(line, path, line_no)
