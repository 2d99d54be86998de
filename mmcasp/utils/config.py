# Copyright (c) mmcasp contributors. All rights reserved.
"""Make ``_base_ = 'mmcasp::...'`` work in downstream configs.

mmengine resolves ``<scope>::<path>`` bases only for package names listed in
``mmengine.config.utils.MODULE2PACKAGE`` and looks the file up under
``<installed package>/.mim/configs/<path>``. mmcasp ships ``.mim/configs``
(a link to the repository's ``configs/`` in a source checkout, a copy in a
built wheel), so registering the name is all that is needed. mmengine reads
the name only after the package is imported: a downstream config must import
mmcasp first, e.g. with ``custom_imports = dict(imports=['mmcasp'])`` at its
top, or by running through ``tools/train.py`` of mmcasp.
"""
import os.path as osp

__all__ = ['register_config_package', 'config_root']


def config_root() -> str:
    """Folder that holds mmcasp's configs for ``mmcasp::`` bases."""
    return osp.join(osp.dirname(osp.dirname(__file__)), '.mim', 'configs')


def register_config_package() -> None:
    """Register ``mmcasp`` with mmengine's config package table."""
    from mmengine.config import utils as config_utils
    config_utils.MODULE2PACKAGE.setdefault('mmcasp', 'mmcasp')
