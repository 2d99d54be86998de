# Copyright (c) mmcasp contributors. All rights reserved.
"""Reading the files users give: a clear error instead of a traceback.

Every JSON file the project reads from a user (image sources, COCO
annotation and pseudo-label files, panoptic labels, image-level labels) goes
through :func:`load_json`; COCO content is checked by
:func:`coco_problems` before any model loads. Errors are
:class:`InputFileError` and name the file, the entry and what to fix.
"""
import json
import math
import os.path as osp
from typing import Any, List, Optional

__all__ = [
    'InputFileError', 'load_json', 'coco_problems', 'check_coco_file',
    'format_problems', 'load_config'
]


class InputFileError(ValueError):
    """A file given by the user cannot be used as it is."""


def load_json(path: str, what: str = 'JSON file') -> Any:
    """``json.load`` of ``path``, or an :class:`InputFileError` saying why
    not (missing, a folder, not text, not JSON with line and column)."""
    if not osp.exists(path):
        raise InputFileError(f'{what} {path} does not exist')
    if osp.isdir(path):
        raise InputFileError(f'{what} {path} is a folder; give the file')
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except UnicodeDecodeError:
        raise InputFileError(f'{what} {path} is not UTF-8 text (an image or '
                             'an archive?); give a JSON file') from None
    except json.JSONDecodeError as e:
        raise InputFileError(
            f'{what} {path} is not valid JSON: {e.msg} at line {e.lineno}, '
            f'column {e.colno}') from None


def load_config(path: str):
    """``mmengine.Config.fromfile``, or an :class:`InputFileError` naming
    the file and what is wrong (missing, a Python error with its line, a
    ``_base_`` that cannot be found)."""
    from mmengine.config import Config
    if not osp.isfile(path):
        raise InputFileError(f'config {path} does not exist' +
                             (' (it is a folder)' if osp.isdir(path) else ''))
    try:
        return Config.fromfile(path)
    except SyntaxError as e:  # in the file, or in one of its _base_
        name = e.filename if e.filename and e.filename[0] != '<' else path
        raise InputFileError(f'config {name}, line {e.lineno}: {e.msg}; fix '
                             'the Python syntax') from None
    except Exception as e:  # a missing _base_, an error while executing
        raise InputFileError(
            f'config {path} cannot be read: {type(e).__name__}: {e}') from None


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and \
        math.isfinite(v)


def _image_problems(i: int, img) -> List[str]:
    if not isinstance(img, dict):
        return [f'images[{i}] is a {type(img).__name__}, not an object']
    where = f'images[{i}] (id {img.get("id")!r})'
    out = []
    if not _is_int(img.get('id')):
        out.append(f'{where}: "id" must be an integer')
    name = img.get('file_name')
    if not isinstance(name, str) or not name.strip():
        out.append(f'{where}: needs "file_name", the image path relative '
                   'to the image folder')
    for key in ('height', 'width'):
        if key in img and not (_is_int(img[key]) and img[key] > 0):
            out.append(f'{where}: "{key}" must be a positive integer')
    return out


def _segmentation_problem(seg) -> Optional[str]:
    if isinstance(seg, list):
        for poly in seg:
            if not (isinstance(poly, list) and len(poly) >= 6
                    and len(poly) % 2 == 0 and all(map(_is_number, poly))):
                return ('a polygon must be a list of at least 3 x, y pairs '
                        '[x1, y1, x2, y2, x3, y3, ...]')
        return None
    if isinstance(seg, dict):
        size = seg.get('size')
        if not (isinstance(size, list) and len(size) == 2
                and all(map(_is_int, size))) or \
                not isinstance(seg.get('counts'), (str, list)):
            return ('an RLE mask needs "size": [height, width] and '
                    '"counts" (a string or a list)')
        return None
    return 'must be a list of polygons or an RLE object'


def _annotation_problems(i: int, ann, image_ids: set,
                         category_ids: Optional[set]) -> List[str]:
    if not isinstance(ann, dict):
        return [f'annotations[{i}] is a {type(ann).__name__}, not an object']
    where = f'annotations[{i}] (id {ann.get("id")!r})'
    out = []
    if ann.get('image_id') not in image_ids:
        out.append(f'{where}: "image_id" {ann.get("image_id")!r} is not '
                   'the id of an entry of "images"')
    if category_ids is not None and \
            ann.get('category_id') not in category_ids:
        out.append(f'{where}: "category_id" {ann.get("category_id")!r} is '
                   'not the id of an entry of "categories"')
    box = ann.get('bbox')
    if not (isinstance(box, list) and len(box) == 4
            and all(map(_is_number, box)) and box[2] >= 0 and box[3] >= 0):
        out.append(f'{where}: "bbox" must be [x, y, width, height] with '
                   'width, height >= 0')
    if 'segmentation' in ann:
        why = _segmentation_problem(ann['segmentation'])
        if why:
            out.append(f'{where}: "segmentation" {why}')
    return out


def coco_problems(data, annotations: bool = True) -> List[str]:
    """What is wrong with a COCO dict (empty list: nothing).

    Args:
        data: The loaded JSON.
        annotations: Also check ``annotations`` and ``categories`` (an
            image source needs only ``images``).
    """
    if not isinstance(data, dict):
        return [
            'the file holds a JSON ' + type(data).__name__ +
            ', not a COCO object with "images"'
        ]
    images = data.get('images')
    if not isinstance(images, list):
        return [
            'no "images" list (a COCO file lists its images as '
            '"images": [{"id": 1, "file_name": "a.jpg", ...}, ...])'
        ]
    out = []
    for i, img in enumerate(images):
        out.extend(_image_problems(i, img))
    ids = [img.get('id') for img in images if isinstance(img, dict)]
    seen, dups = set(), set()
    for v in ids:
        (dups if v in seen else seen).add(v)
    if dups:
        out.append('image ids used more than once: ' +
                   ', '.join(map(repr,
                                 sorted(dups, key=str)[:5])))
    if not annotations:
        return out
    cats = data.get('categories')
    category_ids = None
    if cats is not None:
        if not isinstance(cats, list) or not all(
                isinstance(c, dict) and _is_int(c.get('id')) for c in cats):
            out.append('"categories" must be a list of objects with an '
                       'integer "id" and a "name"')
        else:
            category_ids = {c['id'] for c in cats}
    anns = data.get('annotations', [])
    if not isinstance(anns, list):
        return out + ['"annotations" must be a list']
    for i, ann in enumerate(anns):
        out.extend(_annotation_problems(i, ann, seen, category_ids))
    return out


def format_problems(path: str, problems: List[str], show: int = 5) -> str:
    """One message for a file's problems (the first ``show`` of them)."""
    more = len(problems) - show
    return f'{path}:\n  - ' + '\n  - '.join(
        problems[:show]) + (f'\n  ... and {more} more' if more > 0 else '')


def check_coco_file(path: str,
                    annotations: bool = True,
                    what: str = 'COCO file') -> dict:
    """Load a COCO file and check it; its content, or an
    :class:`InputFileError` listing what to fix."""
    data = load_json(path, what)
    problems = coco_problems(data, annotations)
    if problems:
        raise InputFileError(format_problems(f'{what} {path}', problems))
    return data
