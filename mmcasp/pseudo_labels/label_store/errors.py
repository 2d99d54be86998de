# Copyright (c) mmcasp contributors. All rights reserved.
"""The label store's typed errors: each names the file and what to do.

All derive from :class:`~mmcasp.utils.InputFileError`, so the tools end
them with one ``error:`` line (:func:`~mmcasp.utils.run_main`) and the
pre-Runner dataset checks report them before any training starts.
"""
from mmcasp.utils.input_files import InputFileError

__all__ = [
    'LabelStoreError', 'StoreNotFoundError', 'StoreVersionError',
    'StoreCorruptError', 'RecordError', 'IncompleteRecordsError'
]


class LabelStoreError(InputFileError):
    """A label store (or its record files) cannot be used as it is."""


class StoreNotFoundError(LabelStoreError):
    """No finished store at the path (missing, or a build did not end)."""


class StoreVersionError(LabelStoreError):
    """The manifest is of another format or format version."""


class StoreCorruptError(LabelStoreError):
    """A data or index file is missing, truncated, or does not match the
    manifest (e.g. the index points past a data file's end)."""


class RecordError(LabelStoreError):
    """A record line is not valid JSON, or not a valid record."""


class IncompleteRecordsError(LabelStoreError):
    """Records are missing for images that were to be labeled."""
