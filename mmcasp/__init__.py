# Copyright (c) mmcasp contributors. All rights reserved.
"""mmcasp: detection-aware pretraining (CaSP / CA-SSL, DAP, PreDet).

Importing the package

* checks that mmcv, mmengine and mmdet are in the supported ranges and fails
  early with a message saying what to install;
* makes ``mmcasp::`` config bases resolvable by mmengine;
* allow-lists the types found in mmengine Runner checkpoints so that they
  load with ``weights_only=True`` on torch >= 2.6.
"""
from .utils.version_check import check_dependencies

check_dependencies()

from .utils.checkpoint import install_safe_checkpoint_loading  # noqa: E402
from .utils.config import register_config_package  # noqa: E402
from .version import __version__  # noqa: E402

register_config_package()
install_safe_checkpoint_loading()

__all__ = ['__version__']
