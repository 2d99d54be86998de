# Copyright (c) mmcasp contributors. All rights reserved.
"""Make ``_base_ = 'mmcasp::...'`` work in downstream configs.

mmengine resolves ``<scope>::<path>`` bases only for package names listed in
``mmengine.config.utils.MODULE2PACKAGE``, and looks the file up under
``<installed package>/.mim/configs/<path>``. mmcasp ships ``.mim/configs``
(a link to the repository's ``configs/`` in a source checkout, a copy in a
built wheel). Two things are done on import:

* ``mmcasp`` is added to ``MODULE2PACKAGE``;
* mmengine's lookup of the installed package folder is told where mmcasp's
  package folder is. mmengine derives it from the distribution's location,
  which for an editable (PEP 660) install is ``site-packages`` rather than
  the source tree, so without this ``mmcasp::`` fails in editable installs.
  Other packages are looked up exactly as before.

mmengine reads the table while parsing ``_base_``, before it handles the
config's ``custom_imports``: mmcasp must already be imported, e.g. by running
mmcasp's ``tools/train.py``/``tools/test.py``, ``mim train mmcasp ...``, or
``import mmcasp`` in your own script before ``Config.fromfile``.
"""
import os.path as osp

__all__ = ['register_config_package', 'config_root', 'package_root']


def package_root() -> str:
    """Folder of the imported ``mmcasp`` package."""
    return osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_root() -> str:
    """Folder that holds mmcasp's configs for ``mmcasp::`` bases."""
    return osp.join(package_root(), '.mim', 'configs')


def register_config_package() -> None:
    """Register ``mmcasp`` with mmengine's config machinery (idempotent)."""
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils
    config_utils.MODULE2PACKAGE.setdefault('mmcasp', 'mmcasp')

    original = config_module.get_installed_path
    if getattr(original, '_knows_mmcasp', False):
        return

    def get_installed_path(package: str) -> str:
        if package == 'mmcasp':
            return package_root()
        return original(package)

    get_installed_path._knows_mmcasp = True
    config_module.get_installed_path = get_installed_path
