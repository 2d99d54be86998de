# Copyright (c) mmcasp contributors. All rights reserved.
"""Image sources: a folder, a COCO json, a text list.

Read by the pseudo labelers (:mod:`mmcasp.pseudo_labels`) and by
:class:`~mmcasp.datasets.ImageDataset` (PreDet pretraining).

:func:`collect_images` turns a source into a deterministic list of entries
``dict(id, file_name, path)`` *before* any model is loaded: ``file_name`` is
relative to the image root (so equal names in different sub-folders stay
distinct), ids are the json's or 1..N in sorted order, and names that would
escape the root (``..``, absolute paths) are refused. :func:`decode_image`
reads one image the way mmdet's ``LoadImageFromFile`` does and reports why
it cannot, so that bad files become counted skips, never a crash mid-run.
"""
import io
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Tuple

import mmcv
import numpy as np
from PIL import Image

from mmcasp.utils.input_files import (InputFileError, coco_problems,
                                      format_problems, load_json)

__all__ = [
    'IMAGE_EXTENSIONS', 'ImageSourceError', 'collect_images',
    'safe_relative_path', 'decode_image', 'check_complete', 'SKIP_REASONS'
]

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')

#: Why an image is not labeled: the only keys of a run's skip counts.
#: ``duplicate`` and ``missing`` are found when the source is read (before
#: the model loads); the others when the image is decoded and prepared.
SKIP_REASONS = {
    'duplicate':
    'the same file is listed twice (kept once)',
    'missing':
    'the file named by the source does not exist',
    'unreadable_path':
    'the file exists but cannot be opened (permissions, '
    'a folder, a broken link)',
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


def _from_folder(root: str) -> List[str]:
    names = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for f in filenames:
            if f.lower().endswith(IMAGE_EXTENSIONS):
                names.append(osp.relpath(osp.join(dirpath, f), root))
    return sorted(names)


def collect_images(
        source: str,
        root: Optional[str] = None) -> Tuple[List[Dict], Counter, str]:
    """Entries of an image source.

    Args:
        source: A folder (searched recursively for image extensions), a COCO
            json (its ``images``; ``file_name`` relative to ``root``), or a
            text file with one path per line relative to ``root``.
        root: Image root for json and list sources; defaults to the folder
            itself, or the json/list file's folder.

    Returns:
        tuple: ``(entries, skipped, root)``; entries are
        ``dict(id, file_name, path[, height, width])`` in a deterministic
        order, ``skipped`` counts refused names by reason (``duplicate``,
        ``missing``).

    Raises:
        ImageSourceError: If the source does not exist, holds no image, has
            an unsafe file name (json/list), or duplicate image ids.
    """
    if not osp.exists(source):
        raise ImageSourceError(f'image source {source} does not exist')
    skipped: Counter = Counter()
    given: List[Tuple[Optional[int], str, dict]] = []
    if osp.isdir(source):
        root = source
        given = [(None, n, {}) for n in _from_folder(source)]
    elif source.endswith('.json'):
        root = root or osp.dirname(osp.abspath(source))
        try:
            data = load_json(source, 'image source')
        except InputFileError as e:
            raise ImageSourceError(str(e)) from None
        problems = coco_problems(data, annotations=False)
        if problems:
            raise ImageSourceError(
                format_problems(f'image source {source}', problems))
        for img in data['images']:
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
            skipped['duplicate'] += 1
            continue
        seen.add(rel)
        path = osp.join(root, rel)
        if not osp.isfile(path):
            skipped['missing'] += 1
            continue
        entries.append(dict(id=img_id, file_name=rel, path=path, **extra))
    if not entries:
        raise ImageSourceError(
            f'image source {source} holds no readable image file' +
            (f' ({dict(skipped)})' if skipped else ''))
    if entries[0]['id'] is None:
        for i, entry in enumerate(entries, start=1):
            entry['id'] = i
    return entries, skipped, root


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
