# Copyright (c) mmcasp contributors. All rights reserved.
"""Fail early, and clearly, on unsupported torch and OpenMMLab versions."""
from importlib import import_module
from typing import Dict, Tuple

from packaging.version import parse

__all__ = ['SUPPORTED_VERSIONS', 'check_dependencies']

#: ``package: (minimum inclusive, maximum exclusive)``
SUPPORTED_VERSIONS: Dict[str, Tuple[str, str]] = {
    # 2.6: torch.serialization.add_safe_globals with (object, name) pairs and
    # get_unsafe_globals_in_checkpoint (mmcasp/utils/checkpoint.py); 2.6.0a0
    # admits the 2.6 pre-releases of NGC-style source builds
    'torch': ('2.6.0a0', '3.0.0'),
    'mmcv': ('2.0.0rc4', '2.2.0'),
    'mmengine': ('0.10.0', '1.0.0'),
    'mmdet': ('3.3.0', '3.4.0'),
}

_HINT = {
    'torch': ('mmcasp needs torch >= 2.6 (its safe checkpoint loading); '
              'install it first, then build mmcv 2.1.0 against it (see '
              'docs/get_started.md)'),
    'mmcv': ('mmcv 2.1.0 must be built against your torch with its ops: '
             'pip install --no-build-isolation mmcv==2.1.0 (see '
             'docs/get_started.md), or bash tools/bootstrap.sh'),
    'mmengine':
    'pip install mmengine==0.10.7',
    'mmdet':
    'pip install mmdet==3.3.0',
}


def check_dependencies() -> None:
    """Raise ``ImportError`` if a required package is missing or outside
    :data:`SUPPORTED_VERSIONS`."""
    problems = []
    for name, (low, high) in SUPPORTED_VERSIONS.items():
        try:
            version = import_module(name).__version__
        except ImportError as e:
            problems.append(f'{name} is not importable ({e}); '
                            f'{_HINT[name]}')
            continue
        if not parse(low) <= parse(version) < parse(high):
            problems.append(f'{name}=={version} is installed but mmcasp '
                            f'needs {low} <= {name} < {high}; {_HINT[name]}')
    if problems:
        raise ImportError('mmcasp cannot start:\n  - ' +
                          '\n  - '.join(problems))
