# Copyright (c) mmcasp contributors. All rights reserved.
import logging
import os
import sys
import uuid

import pytest

# The offline switch (mmcasp.utils.pretrained): the suite never downloads.
# A paper config's pretrained backbone that is not already in the download
# cache starts from random weights instead, in this process and in every
# tool a test starts (tests/_helpers.py: subprocess_env).
os.environ['MMCASP_OFFLINE'] = '1'


def pytest_collection_modifyitems(config, items):
    import torch
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason='needs a CUDA device; none here')
    for item in items:
        if 'gpu' in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """A small generated toy dataset (16 labeled, 8 unlabeled, 8 val)."""
    from mmcasp.datasets import make_toy_dataset
    root = str(tmp_path_factory.mktemp('toy'))
    make_toy_dataset(
        root,
        dict(labeled=16, unlabeled=8, val=8),
        image_size=96,
        seed=3,
        show_progress=False)
    return root


@pytest.fixture(scope='session')
def python_exe():
    return sys.executable


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def log_records():
    """The records of a fresh mmengine logger made the current one (no log
    file, as in a tool). mmengine's loggers write to the stream they were
    made with, out of reach of pytest's capture fixtures, so tests read
    the records instead. (A Runner's logger, left current by an earlier
    test, would have a file handler and send some records there.)"""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_instance(f'test_{uuid.uuid4().hex}')
    assert MMLogger.get_current_instance() is logger
    handler = _Records()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)
