# Copyright (c) mmcasp contributors. All rights reserved.
"""File helpers."""
import json
import os
import os.path as osp
import shutil

__all__ = ['dump_json_atomic', 'link_or_copy']


def dump_json_atomic(obj, path: str) -> None:
    """Write JSON to ``path`` so that readers never see a partial file."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def link_or_copy(src: str, dst: str) -> str:
    """Make ``dst`` a hard link to ``src`` (no extra disk), or a copy where
    the file system cannot link (another device, no link support); an
    existing ``dst`` is replaced. Returns ``dst``."""
    tmp = f'{dst}.tmp.{os.getpid()}'
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, dst)
    return dst
