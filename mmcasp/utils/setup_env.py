# Copyright (c) mmcasp contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope

__all__ = ['register_all_modules']


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmcasp (and mmdet) module so the registries are full.

    Args:
        init_default_scope (bool): Also make ``mmcasp`` the default scope,
            so that unprefixed types resolve in mmcasp first, then in mmdet
            and mmengine.
    """
    from mmdet.utils import register_all_modules as register_mmdet
    register_mmdet(init_default_scope=False)
    import mmcasp.datasets  # noqa: F401
    import mmcasp.engine  # noqa: F401
    import mmcasp.evaluation  # noqa: F401
    import mmcasp.models  # noqa: F401
    import mmcasp.surgery  # noqa: F401
    import mmcasp.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmcasp'):
        DefaultScope.get_instance('mmcasp', scope_name='mmcasp')
    elif current.scope_name != 'mmcasp':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmcasp"; register_all_modules switches it to '
                      '"mmcasp".')
        DefaultScope.get_instance(
            f'mmcasp-{datetime.datetime.now()}', scope_name='mmcasp')
