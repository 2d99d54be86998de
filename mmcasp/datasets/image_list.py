# Copyright (c) mmcasp contributors. All rights reserved.
"""Image sources at scale: entries as arrays, listed as a stream.

:func:`~mmcasp.datasets.collect_images` returns a list of dicts, about a
kilobyte per image: 3.7 GB for the papers' 3.66M images, copied into every
DataLoader worker as their reference counts change. :func:`list_images`
lists the same sources into an :class:`ImageList` instead (ids, sizes and
one UTF-8 blob of names with offsets: ~60 bytes per image), walking a
folder in name order without collecting its names first, reading a text
list line by line and finding duplicates by 64-bit name digests. It takes
the same sources, finds the same entries in the same order with the same
ids, counts the same refusals (with the same example names) and raises
the same errors.
"""
import hashlib
import os
import os.path as osp
from array import array
from collections.abc import Sequence
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

from .image_source import (SkipCounts, empty_source_error, folder_file_reason,
                           json_source_images, safe_relative_path)

__all__ = ['ImageList', 'list_images', 'walk_images']


class ImageList(Sequence):
    """Image entries held as arrays: item ``i`` is ``dict(id, file_name,
    path[, height, width])`` as :func:`~mmcasp.datasets.collect_images`
    gives it (``height``/``width`` where the source gave them), made when
    asked for.

    Args:
        root: The image root (``path`` is ``root/file_name``).
        ids: Image ids (int64).
        names: The file names' UTF-8 bytes, concatenated (uint8).
        name_offset: ``len(ids) + 1`` offsets into ``names``.
        heights, widths: Sizes from the source (0: not given), or ``None``.
    """

    def __init__(self,
                 root: str,
                 ids: np.ndarray,
                 names: np.ndarray,
                 name_offset: np.ndarray,
                 heights: Optional[np.ndarray] = None,
                 widths: Optional[np.ndarray] = None) -> None:
        self.root = root
        self.ids = np.asarray(ids, dtype=np.int64)
        self.names = names
        self.name_offset = name_offset
        self.heights = heights
        self.widths = widths

    def __len__(self) -> int:
        return len(self.ids)

    def file_name(self, i: int) -> str:
        return bytes(
            self.names[self.name_offset[i]:self.name_offset[i + 1]]).decode(
                'utf-8', 'surrogateescape')

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(f'image {i} of {len(self)}')
        i = i % len(self)
        name = self.file_name(i)
        entry = dict(
            id=int(self.ids[i]),
            file_name=name,
            path=osp.join(self.root, name))
        if self.heights is not None and self.heights[i] > 0:
            entry['height'] = int(self.heights[i])
        if self.widths is not None and self.widths[i] > 0:
            entry['width'] = int(self.widths[i])
        return entry

    @classmethod
    def from_entries(cls, entries: Sequence, root: str) -> 'ImageList':
        """The compact form of :func:`~mmcasp.datasets.collect_images`'
        entries."""
        builder = _Builder()
        for e in entries:
            builder.add(e['id'], e['file_name'], e.get('height', 0),
                        e.get('width', 0))
        return builder.build(root, np.arange(len(builder)))


class _Builder:
    """Entries appended one at a time into compact arrays."""

    def __init__(self) -> None:
        self.ids = array('q')
        self.heights = array('i')
        self.widths = array('i')
        self.offsets = array('q', [0])
        self.blob = bytearray()
        self.digests = array('q')

    def __len__(self) -> int:
        return len(self.ids)

    def add(self,
            image_id: Optional[int],
            name: str,
            height: int = 0,
            width: int = 0) -> None:
        raw = name.encode('utf-8', 'surrogateescape')
        self.ids.append(-1 if image_id is None else image_id)
        self.heights.append(int(height or 0))
        self.widths.append(int(width or 0))
        self.blob += raw
        self.offsets.append(len(self.blob))
        self.digests.append(
            int.from_bytes(
                hashlib.blake2b(raw, digest_size=8).digest(),
                'little',
                signed=True))

    def name(self, i: int) -> str:
        return bytes(self.blob[self.offsets[i]:self.offsets[i + 1]]).decode(
            'utf-8', 'surrogateescape')

    def build(self, root: str, rows: np.ndarray) -> 'ImageList':
        """The list of entries ``rows`` (positions, ascending)."""
        offsets = np.frombuffer(self.offsets, dtype=np.int64)
        starts, ends = offsets[rows], offsets[rows + 1]
        lengths = ends - starts
        new_offsets = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=new_offsets[1:])
        blob = np.frombuffer(bytes(self.blob), dtype=np.uint8)
        if len(rows) == len(self) and (rows == np.arange(len(self))).all():
            names = blob
        else:  # gather the kept names' bytes
            pos = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(
                new_offsets[-1])
            names = blob[pos]
        heights = np.frombuffer(self.heights, dtype=np.int32)[rows]
        widths = np.frombuffer(self.widths, dtype=np.int32)[rows]
        return ImageList(root,
                         np.frombuffer(self.ids,
                                       dtype=np.int64)[rows].copy(), names,
                         new_offsets, heights if heights.any() else None,
                         widths if widths.any() else None)

    def duplicates(self) -> np.ndarray:
        """Whether each entry repeats an earlier entry's name."""
        digests = np.frombuffer(self.digests, dtype=np.int64)
        order = np.argsort(digests, kind='stable')
        same = np.flatnonzero(digests[order][1:] == digests[order][:-1])
        dup = np.zeros(len(digests), bool)
        # equal digests: compare the names (a 64-bit collision is not a
        # duplicate); each run of equal digests is in entry order
        for k in same:
            later, name = int(order[k + 1]), None
            j = k
            while j >= 0 and digests[order[j]] == digests[later]:
                name = name or self.name(later)
                if self.name(int(order[j])) == name:
                    dup[later] = True
                    break
                j -= 1
        return dup


class _Examples:
    """Refusals counted in walk order, their example names kept in the
    order ``os.walk`` (top-down, sorted) would meet them, as
    :func:`~mmcasp.datasets.collect_images` names them."""

    def __init__(self, skipped: SkipCounts) -> None:
        self.skipped = skipped
        self.first: Dict[str, List[tuple]] = {}

    def add(self, reason: str, name: str, key: tuple) -> None:
        self.skipped[reason] += 1
        first = self.first.setdefault(reason, [])
        first.append((key, name))
        first.sort()
        del first[SkipCounts.max_examples:]

    def finish(self) -> None:
        for reason, first in self.first.items():
            self.skipped.examples[reason] = [name for _, name in first]


def walk_images(root: str, skipped: SkipCounts) -> Iterator[str]:
    """The image names under ``root`` (relative), yielded in sorted order
    as the walk goes: a folder's entries are visited by name, a
    sub-folder as its name plus the separator, which is the order of the
    sorted relative paths. Every other file, every link to a folder (not
    followed) and every folder that cannot be listed is counted in
    ``skipped`` (as :func:`~mmcasp.datasets.collect_images` counts
    them)."""
    examples = _Examples(skipped)

    def visit(path: str, parts: tuple) -> Iterator[str]:
        try:
            with os.scandir(path) as it:
                found = list(it)
        except OSError:
            examples.add('unreadable_folder', osp.relpath(path, root), parts)
            return
        items = []
        for e in found:
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if is_dir and e.is_symlink():
                examples.add('linked_folder', os.sep.join(parts + (e.name, )),
                             parts + ('', e.name))
            elif is_dir:
                items.append((e.name + os.sep, e))
            else:
                items.append((e.name, e))
        items.sort(key=lambda t: t[0])
        for key, e in items:
            if key.endswith(os.sep):
                yield from visit(e.path, parts + (e.name, ))
                continue
            rel = os.sep.join(parts + (e.name, ))
            reason = folder_file_reason(e.name)
            if reason is None:
                yield rel
            else:
                examples.add(reason, rel, parts + ('', e.name))

    yield from visit(root, ())
    examples.finish()


def _given(
        source: str, root: str,
        skipped: SkipCounts) -> Iterator[Tuple[Optional[int], str, int, int]]:
    """``(id or None, name, height, width)`` of each entry the source
    gives, streamed (a json source is one document: read whole)."""
    if osp.isdir(source):
        for name in walk_images(source, skipped):
            yield None, name, 0, 0
    elif source.endswith('.json'):
        for img in json_source_images(source):
            yield (int(img['id']), img['file_name'], img.get('height', 0),
                   img.get('width', 0))
    else:
        with open(source) as f:
            for line in f:
                if line.strip() and not line.startswith('#'):
                    yield None, line.strip(), 0, 0


def list_images(
        source: str,
        root: Optional[str] = None) -> Tuple[ImageList, SkipCounts, str]:
    """:func:`~mmcasp.datasets.collect_images` for large sources: the same
    ``(entries, skipped, root)``, with the entries as an
    :class:`ImageList`.

    Raises:
        ImageSourceError: As :func:`~mmcasp.datasets.collect_images`.
    """
    from .image_source import ImageSourceError
    if not osp.exists(source):
        raise ImageSourceError(f'image source {source} does not exist')
    if osp.isdir(source):
        root = source
    else:
        root = root or osp.dirname(osp.abspath(source))
    skipped = SkipCounts()
    builder = _Builder()
    for image_id, name, height, width in _given(source, root, skipped):
        builder.add(image_id, safe_relative_path(name, root), height, width)
    dup = builder.duplicates() if not osp.isdir(source) else \
        np.zeros(len(builder), bool)
    keep = array('q')
    for i in range(len(builder)):
        name = builder.name(i)
        if dup[i]:
            skipped.add('duplicate', name)
            continue
        path = osp.join(root, name)
        if not osp.isfile(path):
            skipped.add('broken_link' if osp.islink(path) else 'missing', name)
            continue
        keep.append(i)
    if not keep:
        raise empty_source_error(source, skipped)
    images = builder.build(root, np.frombuffer(keep, dtype=np.int64))
    if osp.isdir(source) or not source.endswith('.json'):  # numbered 1..N
        images.ids = np.arange(1, len(images) + 1, dtype=np.int64)
    return images, skipped, root
