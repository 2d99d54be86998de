# Copyright (c) mmcasp contributors. All rights reserved.
"""Image sources: a folder, a COCO json, a text list.

Read by the pseudo labelers (:mod:`mmcasp.pseudo_labels`) and by
:class:`~mmcasp.datasets.ImageDataset` (PreDet pretraining).

:func:`collect_images` turns a source into a deterministic list of entries
``dict(id, file_name, path)`` *before* any model is loaded: ``file_name`` is
relative to the image root (so equal names in different sub-folders stay
distinct), ids are the json's or 1..N in sorted order, and names that would
escape the root (``..``, absolute paths) are refused. Every entry it does
not return is counted by reason (:class:`SkipCounts`, reasons of
:data:`SKIP_REASONS`), and a folder walk counts every file and folder link
it finds, so a labeling run accounts for all of them
(``images_listed = kept + dropped empty + skipped``).
:func:`describe_images` says in a few lines what a source holds, so that a
wrong folder is seen before any model loads. :func:`decode_image` reads one
image the way mmdet's ``LoadImageFromFile`` does and reports why it cannot,
so that bad files become counted skips, never a crash mid-run.
"""
import io
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import mmcv
import numpy as np
from PIL import Image

from mmcasp.utils.input_files import (InputFileError, coco_problems,
                                      format_problems, load_json)

__all__ = [
    'IMAGE_EXTENSIONS', 'OTHER_IMAGE_EXTENSIONS', 'ImageSourceError',
    'collect_images', 'safe_relative_path', 'decode_image', 'check_complete',
    'SKIP_REASONS', 'LISTING_SKIP_REASONS', 'SkipCounts', 'describe_images',
    'empty_source_error', 'json_source_images', 'folder_file_reason'
]

#: What a folder walk labels: files with these extensions (any case).
#: Only formats that mmdet's ``LoadImageFromFile`` (OpenCV) reads in
#: training, so that every labeled file also trains.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')

#: Image formats a folder walk finds but does not label (counted as
#: ``unsupported_extension``): OpenCV builds, mmdet's loader among them,
#: do not read them all (this venv's OpenCV reads no GIF), so labels on
#: them would not train. Convert such files to PNG/JPEG to label them.
OTHER_IMAGE_EXTENSIONS = ('.gif', '.heic', '.heif', '.avif', '.jxl', '.jp2',
                          '.j2k', '.jfif', '.ppm', '.pgm', '.pbm', '.pnm',
                          '.ico', '.svg', '.exr', '.hdr', '.psd', '.dng',
                          '.cr2', '.nef', '.arw')

#: Why an entry is not labeled: the only keys of a run's skip counts.
#: Those of :data:`LISTING_SKIP_REASONS` are found when the source is read
#: (before the model loads); the others when the image is decoded and
#: prepared.
SKIP_REASONS = {
    'duplicate':
    'the same file is listed twice (kept once)',
    'missing':
    'the file named by the source does not exist',
    'broken_link':
    'a symbolic link with an image name whose target does not exist',
    'unsupported_extension':
    'a folder walk found another image format (.gif, .heic, ...: '
    'OTHER_IMAGE_EXTENSIONS), which training cannot be trusted to read; '
    'convert it to PNG or JPEG to label it',
    'other_file':
    'a folder walk found a file that is not an image by its name '
    '(sidecar .json/.txt, .DS_Store, Thumbs.db, no extension); not read',
    'linked_folder':
    'a folder walk found a symbolic link to a folder: not followed '
    '(links can loop); give the real folder, or a json/list source',
    'unreadable_folder':
    'a folder walk could not list a folder (permissions); its files are '
    'not counted one by one',
    'unreadable_path':
    'the file exists but cannot be opened (permissions, '
    'a folder, a link broken since the listing)',
    'empty_file':
    'the file has 0 bytes',
    'truncated':
    'the decoder runs out of data before the image ends',
    'not_an_image':
    'no decoder (OpenCV, Pillow) can read the file',
    'too_large':
    'more pixels than max_pixels (default 40 M)',
    'prepare_failed':
    "the model's test pipeline fails on the decoded image "
    '(the log names the error)',
}

#: The reasons :func:`collect_images` counts (before any model loads).
LISTING_SKIP_REASONS = ('duplicate', 'missing', 'broken_link',
                        'unsupported_extension', 'other_file', 'linked_folder',
                        'unreadable_folder')


class ImageSourceError(InputFileError):
    """The image source itself is unusable (raised before the model
    loads)."""


def safe_relative_path(name: str, root: str) -> str:
    """Normalise ``name`` (relative to ``root``) and refuse escapes.

    Raises:
        ImageSourceError: For absolute paths or paths leaving ``root``.
    """
    if not name or osp.isabs(name) or name.startswith(('~', '\\')):
        raise ImageSourceError(f'{name!r}: absolute or empty file names are '
                               'not accepted; give names relative to the '
                               'image root')
    norm = osp.normpath(name)
    if norm == '..' or norm.startswith('..' + os.sep) or norm == '.':
        raise ImageSourceError(f'{name!r} escapes the image root {root}')
    return norm


class SkipCounts(Counter):
    """Entries an image source refused, counted by reason (a
    :class:`~collections.Counter` whose keys are :data:`SKIP_REASONS`),
    with the first names of each reason in ``examples`` (for messages:
    a count alone does not say which file)."""

    #: How many names :meth:`add` keeps per reason.
    max_examples = 3

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.examples: Dict[str, List[str]] = {}

    def add(self, reason: str, name: str) -> None:
        """Count ``name`` under ``reason``."""
        if reason not in SKIP_REASONS:
            raise ValueError(f'{reason!r} is not one of SKIP_REASONS')
        self[reason] += 1
        names = self.examples.setdefault(reason, [])
        if len(names) < self.max_examples:
            names.append(name)


def folder_file_reason(name: str) -> Optional[str]:
    """``None`` for a file a folder walk lists as an image, else why not
    (by its extension)."""
    ext = osp.splitext(name)[1].lower()
    if ext in IMAGE_EXTENSIONS:
        return None
    return 'unsupported_extension' if ext in OTHER_IMAGE_EXTENSIONS \
        else 'other_file'


def _from_folder(root: str, skipped: SkipCounts) -> List[str]:
    """Image names under ``root`` (relative, sorted); every other file, every
    link to a folder (not followed) and every folder that cannot be listed
    is counted in ``skipped``."""
    names = []

    def unreadable(err: OSError) -> None:
        skipped.add('unreadable_folder', osp.relpath(err.filename or root,
                                                     root))

    for dirpath, dirnames, filenames in os.walk(
            root, onerror=unreadable, followlinks=False):
        dirnames.sort()
        for d in dirnames:
            if osp.islink(osp.join(dirpath, d)):
                skipped.add('linked_folder',
                            osp.relpath(osp.join(dirpath, d), root))
        for f in sorted(filenames):
            rel = osp.relpath(osp.join(dirpath, f), root)
            reason = folder_file_reason(f)
            if reason is None:
                names.append(rel)
            else:
                skipped.add(reason, rel)
    return sorted(names)


def collect_images(
        source: str,
        root: Optional[str] = None) -> Tuple[List[Dict], SkipCounts, str]:
    """Entries of an image source.

    Args:
        source: A folder (searched recursively for files ending in
            :data:`IMAGE_EXTENSIONS`; links to folders are not followed),
            a COCO json (its ``images``; ``file_name`` relative to
            ``root``), or a text file with one path per line relative to
            ``root``.
        root: Image root for json and list sources; defaults to the folder
            itself, or the json/list file's folder.

    Returns:
        tuple: ``(entries, skipped, root)``; entries are
        ``dict(id, file_name, path[, height, width])`` in a deterministic
        order, ``skipped`` (a :class:`SkipCounts`) counts every refused
        entry by reason (:data:`LISTING_SKIP_REASONS`): json/list entries
        (``duplicate``, ``missing``, ``broken_link``) and, for a folder,
        every file that is not an image by its name
        (``unsupported_extension``, ``other_file``), every link to a
        folder and every folder that cannot be listed. ``len(entries) +
        sum(skipped.values())`` is what the source listed; pass
        ``skipped`` on to :func:`~mmcasp.pseudo_labels.run_pseudo_labeling`
        (``refused``) so that the output's statistics count it.

    Raises:
        ImageSourceError: If the source does not exist, holds no image, has
            an unsafe file name (json/list), or duplicate image ids.
    """
    if not osp.exists(source):
        raise ImageSourceError(f'image source {source} does not exist')
    skipped = SkipCounts()
    given: List[Tuple[Optional[int], str, dict]] = []
    if osp.isdir(source):
        root = source
        given = [(None, n, {}) for n in _from_folder(source, skipped)]
    elif source.endswith('.json'):
        root = root or osp.dirname(osp.abspath(source))
        for img in json_source_images(source):
            extra = {k: img[k] for k in ('height', 'width') if k in img}
            given.append((int(img['id']), img['file_name'], extra))
    else:
        root = root or osp.dirname(osp.abspath(source))
        with open(source) as f:
            given = [(None, line.strip(), {}) for line in f
                     if line.strip() and not line.startswith('#')]
    entries, seen = [], set()
    for img_id, name, extra in given:
        rel = safe_relative_path(name, root)
        if rel in seen:
            skipped.add('duplicate', rel)
            continue
        seen.add(rel)
        path = osp.join(root, rel)
        if not osp.isfile(path):
            skipped.add('broken_link' if osp.islink(path) else 'missing', rel)
            continue
        entries.append(dict(id=img_id, file_name=rel, path=path, **extra))
    if not entries:
        raise empty_source_error(source, skipped)
    if entries[0]['id'] is None:
        for i, entry in enumerate(entries, start=1):
            entry['id'] = i
    return entries, skipped, root


def json_source_images(source: str) -> List[dict]:
    """The checked ``images`` of a COCO json image source.

    Raises:
        ImageSourceError: Not JSON, or entries that are wrong.
    """
    try:
        data = load_json(source, 'image source')
    except InputFileError as e:
        raise ImageSourceError(str(e)) from None
    problems = coco_problems(data, annotations=False)
    if problems:
        raise ImageSourceError(
            format_problems(f'image source {source}', problems))
    return data['images']


def empty_source_error(source: str, skipped: Mapping) -> ImageSourceError:
    """The error of a source that holds no readable image file."""
    return ImageSourceError(
        f'image source {source} holds no readable image file' +
        (f' ({_format_skips(skipped)})' if skipped else '') +
        ('; a folder walk labels files ending in ' +
         ', '.join(IMAGE_EXTENSIONS) if osp.isdir(source) else ''))


def _format_skips(skipped: Mapping[str, int], max_names: int = 3) -> str:
    """``other_file 2: a.json, b.txt; missing 1: c.jpg``: the counts in
    :data:`SKIP_REASONS` order, with the names a :class:`SkipCounts`
    keeps."""
    examples = getattr(skipped, 'examples', {})
    parts = []
    for reason in sorted(
            skipped,
            key=lambda r: list(SKIP_REASONS).index(r)
            if r in SKIP_REASONS else len(SKIP_REASONS)):
        if not skipped[reason]:
            continue
        names = examples.get(reason, [])[:max_names]
        more = ', ...' if skipped[reason] > len(names) else ''
        parts.append(f'{reason} {skipped[reason]}' +
                     (f": {', '.join(names)}{more}" if names else ''))
    return '; '.join(parts)


def describe_images(entries: Sequence[dict],
                    skipped: Mapping[str, int],
                    source: str,
                    root: str,
                    max_folders: int = 8,
                    max_names: int = 3) -> str:
    """A few lines saying what an image source holds, for a tool to print
    before any model loads: a wrong folder (label masks instead of photos,
    a sidecar-only folder) is then seen at once, not after a run.

    The first line names the source, its kind and the number of images to
    label; then one line per top-level sub-folder of the file names (in
    order of first appearance, at most ``max_folders``; ``(top level)`` for
    files directly under the root) with its count and its first
    ``max_names`` names; then what the listing left out, by reason (with
    names where ``skipped`` is a :class:`SkipCounts`).

    Args:
        entries, skipped, root: As :func:`collect_images` returns them.
        source: The source as given (a folder, a json or a list).
    """
    if osp.isdir(source):
        kind = 'a folder, searched recursively'
    else:
        kind = ('a COCO json' if source.endswith('.json') else
                'a text list') + f'; image root {root}'
    lines = [f'image source {source} ({kind}): {len(entries)} images to label']
    folders: Dict[str, List[str]] = {}
    for e in entries:
        parts = e['file_name'].replace('\\', '/').split('/', 1)
        top = parts[0] + '/' if len(parts) > 1 else '(top level)'
        folders.setdefault(top, []).append(e['file_name'])
    width = max((len(f) for f in list(folders)[:max_folders]), default=0)
    count_width = len(str(len(entries)))
    for top, names in list(folders.items())[:max_folders]:
        more = ', ...' if len(names) > max_names else ''
        lines.append(f'  {top:<{width}}  {len(names):>{count_width}}  ' +
                     ', '.join(names[:max_names]) + more)
    rest = list(folders.values())[max_folders:]
    if rest:
        lines.append(f'  ... {len(rest)} more folders: '
                     f'{sum(len(n) for n in rest)} images')
    if sum(skipped.values()):
        lines.append(f'not labeled: {sum(skipped.values())} '
                     f'({_format_skips(skipped, max_names)})')
    return '\n'.join(lines)


def check_complete(data: bytes) -> Optional[str]:
    """A reason if the decoder cannot read the whole image, else ``None``.

    Whether the image's data is all there is decided by decoding it, not by
    where an end marker sits: files with data after the image (phones'
    motion photos append a video to the JPEG, cameras append trailers) are
    complete. JPEGs are decoded at 1/8 scale (libjpeg's DCT scaling still
    reads every entropy-coded byte, at a fraction of a full decode); PNGs
    are verified chunk by chunk up to ``IEND``. Other formats are left to
    the decoder in :func:`decode_image`.
    """
    if not data:
        return 'empty_file'
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format == 'JPEG':
                im.draft(im.mode,
                         (max(1, im.size[0] // 8), max(1, im.size[1] // 8)))
                im.load()
            elif im.format == 'PNG':
                im.verify()
    except Image.DecompressionBombError:
        return None  # complete, just large: decode_image decides
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        if isinstance(e, OSError) and 'cannot identify' in str(e):
            return None  # not a format PIL knows: the decoder decides
        return 'truncated'
    return None


def decode_image(
    path: str,
    max_pixels: int = 40_000_000
) -> Tuple[Optional[np.ndarray], Optional[str]]:
    """Read an image as mmdet's ``LoadImageFromFile`` would (BGR uint8,
    EXIF orientation applied, grayscale/16-bit/RGBA/CMYK converted).

    Returns:
        tuple: ``(image, None)`` or ``(None, reason)`` with reason one of
        ``unreadable_path``, ``empty_file``, ``truncated``,
        ``not_an_image``, ``too_large``.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None, 'unreadable_path'
    if not data:
        return None, 'empty_file'
    try:  # header only: refuse huge images before decoding them
        with Image.open(io.BytesIO(data)) as probe:
            if probe.size[0] * probe.size[1] > max_pixels:
                return None, 'too_large'
    except Image.DecompressionBombError:
        return None, 'too_large'
    except Exception:
        pass  # not a format PIL knows; cv2 may still read it
    reason = check_complete(data)
    if reason:
        return None, reason
    try:
        img = mmcv.imfrombytes(data, flag='color', backend='cv2')
    except Exception:  # cv2 raises on some malformed headers
        img = None
    if img is None:
        # cv2 cannot decode some CMYK/odd files that PIL can
        try:
            img = mmcv.imfrombytes(data, flag='color', backend='pillow')
        except Exception:
            img = None
    if img is None or img.ndim != 3 or img.size == 0:
        return None, 'not_an_image'
    if img.shape[0] * img.shape[1] > max_pixels:
        return None, 'too_large'
    return img, None
