# Copyright (c) mmcasp contributors. All rights reserved.
"""What mmcasp's command-line tools share.

* :func:`description`: the ``--help`` text from a tool's module docstring
  (its first paragraph, whole).
* :func:`run_main`: an expected failure (a bad file, config key or
  checkpoint, a refused checkpoint, a launcher without its environment)
  ends the tool with one ``error: ...`` message on stderr and exit status
  1, never a traceback; anything else is a bug and keeps its traceback.
* :func:`runner_config`: the Runner config ``tools/train.py`` and
  ``tools/test.py`` build from their arguments (with the offline switch,
  ``MMCASP_OFFLINE=1``, applied: :mod:`mmcasp.utils.pretrained`).
"""
import os.path as osp
import sys
from typing import Any, Callable, Dict, Optional, Type

from .checkpoint import UnsafeCheckpointError
from .config_options import merge_options
from .dist import DistLaunchError, cpu_model_wrapper_cfg, init_distributed
from .input_files import InputFileError, load_config
from .pretrained import apply_offline

__all__ = ['USER_ERRORS', 'description', 'run_main', 'runner_config']

#: Failures that are the input's, not the code's: each says what to fix.
#: (mmcasp's typed input errors all derive from ``InputFileError``.)
USER_ERRORS = (InputFileError, UnsafeCheckpointError, DistLaunchError)


def description(doc: Optional[str]) -> str:
    """The first paragraph of ``doc`` as one line (argparse's
    ``description``): a sentence cut at its first line break reads as
    if the tool's purpose stopped there."""
    return ' '.join((doc or '').strip().split('\n\n')[0].split())


def run_main(main: Callable[[], Any], *errors: Type[BaseException]) -> Any:
    """``main()``; one of :data:`USER_ERRORS` or ``errors`` exits with
    ``error: <message>`` (status 1) instead of a traceback."""
    try:
        return main()
    except USER_ERRORS + errors as e:
        sys.exit(f'error: {e}')


def runner_config(config: str,
                  cfg_options: Optional[Dict[str, Any]] = None,
                  launcher: str = 'none',
                  work_dir: Optional[str] = None,
                  *,
                  with_init_report: bool = False):
    """The config of a Runner started by a tool.

    Loads ``config``, merges ``cfg_options`` (keys nothing would read are
    refused: :func:`~mmcasp.utils.merge_options`), applies the offline
    switch (``MMCASP_OFFLINE=1``: pretrained checkpoints that would be
    downloaded are replaced by random init,
    :func:`~mmcasp.utils.pretrained.apply_offline`), starts the process
    group of ``launcher`` with the *merged* ``env_cfg.dist_cfg`` (the
    Runner does not initialise a group that exists), makes DDP work on CPU
    processes, and sets the work dir: ``work_dir``, else the config's,
    else ``./work_dirs/<config name>``.

    Returns:
        The config; with ``with_init_report``, ``(config, InitReport)``:
        what the model's initial weights are and what was switched off,
        for the tool to print before the Runner starts.

    Raises:
        InputFileError: the config cannot be read, or an option key is
            unknown (``ConfigOptionError``).
    """
    cfg = load_config(config)
    merge_options(cfg, cfg_options)
    report = apply_offline(cfg)
    cfg.launcher = launcher
    init_distributed(launcher, **cfg.get('env_cfg', {}).get('dist_cfg', {}))
    cpu_model_wrapper_cfg(cfg)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return (cfg, report) if with_init_report else cfg
