# Copyright (c) mmcasp contributors. All rights reserved.
"""Safe (``weights_only``) loading of mmengine Runner checkpoints.

torch >= 2.6 unpickles ``torch.load`` files with ``weights_only=True``. A
checkpoint written by mmengine's ``Runner`` holds, besides tensors, the state
of the message hub: :class:`~mmengine.logging.HistoryBuffer` objects, numpy
arrays, numpy scalars and dtypes, and references to the buffer's statistic
methods (pickled as ``getattr(HistoryBuffer, 'mean')``), and ``bytes``
(numpy pickles the data of an *empty* array as ``bytes()``). Plain
``torch.load`` refuses those, so ``load_checkpoint``, ``load_from`` and
``--resume`` fail.

Instead of switching ``weights_only`` off (which lets a checkpoint run
arbitrary code) we allow-list exactly those types. ``builtins.getattr`` is
*not* allowed in general (``getattr`` reaches ``__globals__`` and from there
``eval``): the pickle's ``getattr`` is bound to
:func:`_history_buffer_getattr`, which only returns the registered statistic
methods of ``HistoryBuffer``.

:func:`install_safe_checkpoint_loading` also replaces mmengine's local-file
checkpoint loader so that a refused checkpoint raises
:class:`UnsafeCheckpointError` naming the file and the offending global.
"""
import os.path as osp
import pickle
import re
from typing import Any, Callable, List, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .input_files import InputFileError

__all__ = [
    'UnsafeCheckpointError', 'runner_checkpoint_safe_globals',
    'install_safe_checkpoint_loading', 'safe_torch_load', 'check_checkpoint'
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object that is not on the allow-list."""


_BUILTIN_STATISTICS = {'min', 'max', 'current', 'mean'}


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` inside checkpoints.

    mmengine pickles ``HistoryBuffer.statistics_methods`` (a dict of class
    methods) as ``getattr(HistoryBuffer, '<name>')``. Only that pattern is
    accepted.
    """
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint: only '
        'the statistic methods of mmengine.logging.HistoryBuffer are.')


def _numpy_core_name() -> str:
    # numpy 2 moved ``numpy.core`` to ``numpy._core``; pickles name the
    # module of the numpy that wrote them, so allow-list both spellings.
    return 'numpy._core' if hasattr(np, '_core') else 'numpy.core'


def runner_checkpoint_safe_globals() -> List[Any]:
    """The globals an mmengine Runner checkpoint may reference.

    Returns:
        list: Entries for :func:`torch.serialization.add_safe_globals`:
        either objects or ``(object, 'pickled.name')`` pairs.
    """
    from numpy.core.multiarray import _reconstruct, scalar
    entries: List[Any] = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        _reconstruct,
        scalar,
        bytes,  # the buffer of an empty array: bytes() (harmless constructor)
        (_history_buffer_getattr, 'builtins.getattr'),
    ]
    # numpy >= 1.25 pickles dtypes through their DType classes. Every dtype
    # whose values are plain data is allowed; ``object`` is not (an object
    # array's content is arbitrary pickled objects).
    entries.extend(c for c in _plain_data_dtype_classes() if c is not np.dtype)
    # Names written by the other numpy major version.
    other = 'numpy.core' if _numpy_core_name() == 'numpy._core' \
        else 'numpy._core'
    entries.append((_reconstruct, f'{other}.multiarray._reconstruct'))
    entries.append((scalar, f'{other}.multiarray.scalar'))
    return entries


#: dtypes a checkpoint may hold: every numpy dtype whose values are data.
PLAIN_DATA_DTYPES = ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                     'uint16', 'uint32', 'uint64', 'float16', 'float32',
                     'float64', 'longdouble', 'complex64', 'complex128',
                     'clongdouble', 'U1', 'S1', 'V1', 'datetime64[s]',
                     'timedelta64[s]')


def _plain_data_dtype_classes() -> set:
    return {type(np.dtype(t)) for t in PLAIN_DATA_DTYPES}


def _allowed_names() -> set:
    """Pickled names of the allow-list (to tell what torch refused)."""
    names = set()
    for entry in runner_checkpoint_safe_globals():
        if isinstance(entry, tuple):
            names.add(entry[1])
        else:
            names.add(f'{entry.__module__}.{entry.__qualname__}')
    return names


def _what_was_refused(filename: str, error: Exception) -> str:
    """A short description of what a refused checkpoint holds.

    torch's own text (a page of advice ending in "Please file an issue") is
    reduced to the offending globals, or the offending type.
    """
    try:
        found = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # not a zip checkpoint, or unreadable: use the text
        found = []
    refused = sorted(set(found) - _allowed_names())
    if refused:
        return 'the Python object(s) ' + ', '.join(refused)
    text = str(error)
    built = re.search(r"got <class '([\w.]+)'>", text)
    if built:
        name = built.group(1)
        if name.endswith('ObjectDType'):
            return ('a numpy array of dtype object (its items are arbitrary '
                    'pickled objects)')
        return f'an object of type {name}'
    reason = re.search(r'WeightsUnpickler error: ([^\n]+)', text)
    return reason.group(1).strip() if reason else type(error).__name__


def safe_torch_load(filename: str, map_location: Optional[Any] = None) -> Any:
    """``torch.load(..., weights_only=True)`` with a clear error.

    Args:
        filename (str): Local checkpoint path.
        map_location: As for :func:`torch.load`.

    Raises:
        FileNotFoundError: If ``filename`` does not exist.
        UnsafeCheckpointError: If the file references a global that is not
            allow-listed (for instance an arbitrary callable).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError) as e:
        if isinstance(e, RuntimeError) and 'weights_only' not in str(e) \
                and 'Weights only' not in str(e):
            raise
        raise UnsafeCheckpointError(
            _refusal(filename, _what_was_refused(filename, e))) from None


def _refusal(filename: str, what: str) -> str:
    return (f'Refusing to load checkpoint "{filename}": it holds {what}, '
            "outside mmcasp's allow-list of checkpoint contents (tensors, "
            'mmengine HistoryBuffer, numpy arrays and scalars of data '
            'dtypes); such objects can run code when loaded. Load only '
            'checkpoints from sources you trust; to use this one, re-save '
            'just its weights (its "state_dict") in a trusted environment.')


def check_checkpoint(filename: str, what: str = 'checkpoint') -> None:
    """Before anything is built to load it: ``filename`` exists and, for a
    zip checkpoint (``torch.save``'s format since torch 1.6), references
    no global outside the allow-list. Only the pickle is read, not the
    tensors. A remote path (``s3://...``) or an older format is left to
    the loader, which refuses the same content.

    Raises:
        InputFileError: the file does not exist (or is a folder).
        UnsafeCheckpointError: as :func:`safe_torch_load` would.
    """
    if '://' in filename:
        return
    path = osp.expanduser(filename)
    if not osp.isfile(path):
        raise InputFileError(f'{what} {filename} ' +
                             ('is a folder; give the .pth file' if osp.
                              isdir(path) else 'does not exist'))
    try:
        found = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # not a zip checkpoint: the loader decides
        return
    refused = sorted(set(found) - _allowed_names())
    if refused:
        raise UnsafeCheckpointError(
            _refusal(filename, 'the Python object(s) ' + ', '.join(refused)))


def _load_from_local(filename: str, map_location: Optional[Any] = None):
    """mmengine ``CheckpointLoader`` scheme for local files."""
    return safe_torch_load(filename, map_location)


_INSTALLED = False


def install_safe_checkpoint_loading() -> None:
    """Allow-list Runner checkpoint types and register the local loader.

    Idempotent; called when :mod:`mmcasp` is imported.
    """
    global _INSTALLED
    if _INSTALLED:
        return
    torch.serialization.add_safe_globals(runner_checkpoint_safe_globals())
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_from_local, force=True)
    _INSTALLED = True
