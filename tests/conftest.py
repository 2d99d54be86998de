# Copyright (c) mmcasp contributors. All rights reserved.
import sys

import pytest


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
