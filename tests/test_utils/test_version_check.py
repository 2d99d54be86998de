# Copyright (c) mmcasp contributors. All rights reserved.
import pytest

from mmcasp.utils import version_check


def test_installed_stack_is_supported():
    version_check.check_dependencies()


def test_out_of_range_version_fails_with_clear_message(monkeypatch):
    monkeypatch.setitem(version_check.SUPPORTED_VERSIONS, 'mmdet',
                        ('9.0.0', '10.0.0'))
    with pytest.raises(ImportError) as e:
        version_check.check_dependencies()
    msg = str(e.value)
    assert 'mmdet==' in msg and '9.0.0 <= mmdet < 10.0.0' in msg
    assert 'pip install mmdet==3.3.0' in msg


def test_missing_package_is_reported(monkeypatch):
    monkeypatch.setitem(version_check.SUPPORTED_VERSIONS, 'mmcasp_no_such_pkg',
                        ('0', '1'))
    monkeypatch.setitem(version_check._HINT, 'mmcasp_no_such_pkg', 'hint!')
    with pytest.raises(
            ImportError, match='mmcasp_no_such_pkg is not '
            'importable.*hint!'):
        version_check.check_dependencies()
