# Copyright (c) mmcasp contributors. All rights reserved.
"""File helpers."""
import json
import os
import os.path as osp

__all__ = ['dump_json_atomic']


def dump_json_atomic(obj, path: str) -> None:
    """Write JSON to ``path`` so that readers never see a partial file."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
