# Copyright (c) mmcasp contributors. All rights reserved.
"""The store's manifest: what the store holds, written last.

``dict(format, format_version, categories, info, stats, images, labels,
data_files=[dict(name, images, bytes, crc32)], run)``: ``info`` is what
the labeling run says about itself (labeler, checkpoint, δ, image source
and root, ``date_created``), ``stats`` the statistics of
:class:`~mmcasp.pseudo_labels.label_store.stats.LabelStats` plus the
dropped predictions, ``run`` what depends on how the labels were made
(wall time, images labeled by the last run, parts): everything but
``run`` and ``info.date_created`` is the same for any number of ranks or
jobs.
"""
import os.path as osp
from typing import List, Optional

from mmcasp.utils.fileio import dump_json_atomic
from mmcasp.utils.input_files import InputFileError, load_json
from .errors import StoreNotFoundError, StoreVersionError
from .layout import FORMAT, FORMAT_VERSION, MANIFEST

__all__ = ['manifest_path', 'read_manifest', 'write_manifest', 'new_manifest']


def manifest_path(store: str) -> str:
    return osp.join(store, MANIFEST)


def new_manifest(categories: List[dict],
                 info: dict,
                 stats: dict,
                 data_files: List[dict],
                 run: Optional[dict] = None) -> dict:
    """A manifest (see the module docstring)."""
    return dict(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        categories=categories,
        info=info,
        stats=stats,
        images=sum(d['images'] for d in data_files),
        labels=stats['labels'],
        data_files=data_files,
        run=run or {})


def read_manifest(store: str) -> dict:
    """The manifest of ``store``.

    Raises:
        StoreNotFoundError: No store there, or one whose build did not
            finish (no manifest).
        StoreVersionError: A manifest of another format or version.
        LabelStoreError: The manifest is not valid JSON.
    """
    if not osp.isdir(store):
        what = 'is a file, not a store folder' if osp.exists(store) \
            else 'does not exist'
        raise StoreNotFoundError(
            f'label store {store} {what}; give the folder that '
            'tools/pseudo_label.py --out DIR or tools/misc/label_store.py '
            'build wrote')
    path = manifest_path(store)
    if not osp.isfile(path):
        raise StoreNotFoundError(
            f'label store {store} is not finished: it has no {MANIFEST} '
            '(a build was stopped, or this folder is not a store). Run '
            '`python tools/misc/label_store.py build '
            f'{osp.join(store, "records")} {store}`, or the labeling run '
            'again: it resumes and builds the store')
    try:
        manifest = load_json(path, 'label store manifest')
    except InputFileError as e:
        raise StoreVersionError(f'{e}; rebuild the store') from None
    found = manifest.get('format') if isinstance(manifest, dict) else None
    if found != FORMAT:
        raise StoreVersionError(
            f'{path} is not an mmcasp label store manifest (format '
            f'{found!r}, expected {FORMAT!r})')
    version = manifest.get('format_version')
    if version != FORMAT_VERSION:
        raise StoreVersionError(
            f'{path}: label store format version {version!r}, but this '
            f'mmcasp reads version {FORMAT_VERSION}; rebuild the store from '
            'its records with this version (tools/misc/label_store.py '
            'build), or use the mmcasp that wrote it')
    return manifest


def write_manifest(store: str, manifest: dict) -> None:
    """Write the manifest atomically (the store is finished once it is
    there)."""
    dump_json_atomic(manifest, manifest_path(store))
