# Copyright (c) mmcasp contributors. All rights reserved.
"""The record store of a pipeline run: one folder per stage, a stage is
done when its ``done.json`` exists (written atomically by rank 0 at its
end) and the files it names are still there; each record holds the
settings its stage was made with, so a re-run with other settings is
refused instead of silently reusing the stage."""
import hashlib
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.dist import barrier, get_dist_info

from mmcasp.pseudo_labels import dump_json_atomic
from .errors import PipelineError

__all__ = ['StageRecords', 'flatten', 'changed_keys', 'config_digest']


def flatten(obj, prefix: str = '') -> dict:
    """``{'a': {'b': 1}}`` -> ``{'a.b': 1}`` (lists stay values)."""
    if not isinstance(obj, dict):
        return {prefix: obj}
    out = {}
    for k, v in obj.items():
        out.update(flatten(v, f'{prefix}.{k}' if prefix else str(k)))
    return out


def changed_keys(old: dict, new: dict) -> List[str]:
    """Dotted keys whose value differs between two settings dicts (a key
    one of them lacks counts as ``None``)."""
    old, new = flatten(old), flatten(new)
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def config_digest(path: str) -> str:
    """A short digest of the resolved content of a config file (its
    ``_base_`` files included)."""
    text = json.dumps(
        Config.fromfile(path).to_dict(), sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _artifact_exists(path: str) -> bool:
    """A stage's file (a checkpoint, a COCO file) or finished label store
    (its manifest is written last) is there."""
    from mmcasp.pseudo_labels.label_store import MANIFEST
    return osp.isfile(path) or osp.isfile(osp.join(path, MANIFEST))


class StageRecords:
    """Stage folders and ``done.json`` records under a work dir.

    Args:
        work_dir: ``<work_dir>/<stage>`` is a stage's folder.
        stage_dirs: Stage -> folder overrides (a sweep points runs that
            share upstream settings at one folder).
        settings: Stage -> the settings its result depends on (JSON-able),
            recorded with the stage and compared on the next run.
    """

    def __init__(self,
                 work_dir: str,
                 stage_dirs: Optional[Dict[str, str]] = None,
                 settings: Optional[Callable[[str], dict]] = None) -> None:
        self.work_dir = osp.abspath(work_dir)
        self.stage_dirs = {
            k: osp.abspath(v)
            for k, v in (stage_dirs or {}).items()
        }
        self.settings = settings

    def dir(self, stage: str) -> str:
        """``<work_dir>/<stage>``, or the folder given in ``stage_dirs``."""
        return self.stage_dirs.get(stage, osp.join(self.work_dir, stage))

    def get(self, stage: str) -> Optional[dict]:
        """The record of a done stage whose files still exist, or None."""
        path = osp.join(self.dir(stage), 'done.json')
        if not osp.isfile(path):
            return None
        with open(path) as f:
            rec = json.load(f)
        for key in ('checkpoint', 'file'):
            if key in rec and not _artifact_exists(rec[key]):
                return None  # never trust a record whose artifact is gone
        return rec

    def write(self, stage: str, rec: dict, with_settings: bool = True) -> dict:
        """Mark ``stage`` done with ``rec`` (plus its settings); every rank
        returns once the file exists."""
        if with_settings and self.settings is not None:
            rec = dict(rec, settings=self.settings(stage))
        if get_dist_info()[0] == 0:
            dump_json_atomic(rec, osp.join(self.dir(stage), 'done.json'))
        barrier()
        return rec

    def changed(self, stage: str, rec: dict) -> List[str]:
        """Settings that differ between ``rec`` and the present ones; empty
        for records written before settings were recorded."""
        if 'settings' not in rec or self.settings is None:
            return []
        return changed_keys(rec['settings'], self.settings(stage))

    def check_current(self, stages: Sequence[str]) -> None:
        """Stop before any work if a done stage among ``stages`` was made
        with other settings than the present ones.

        Raises:
            PipelineError: naming each such stage, its folder and the
                settings that differ.
        """
        stale = []
        for stage in stages:
            rec = self.get(stage)
            changed = self.changed(stage, rec) if rec else []
            if changed:
                stale.append(f'{stage} ({self.dir(stage)}): '
                             f"{', '.join(changed[:6])}")
        if stale:
            raise PipelineError(
                'done stages were made with other settings than these:\n  - ' +
                '\n  - '.join(stale) + '\ndelete those folders (and the '
                'stages after them) to redo them with these settings, or '
                'give another work dir')
