# Copyright (c) mmcasp contributors. All rights reserved.
"""Tools build models without mmengine's per-parameter init log."""
import logging
import uuid

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmcasp.utils.build import build_model, quiet_logs
from tests._helpers import TINY_CONFIG


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def records():
    # A fresh logger becomes mmengine's current one. It has no log file, as
    # in a tool: mmengine writes the per-parameter init report as records
    # only then (a Runner's logger, left current by an earlier test, has a
    # file handler and gets the report written to its file instead).
    logger = MMLogger.get_instance(f'test_build_{uuid.uuid4().hex}')
    assert MMLogger.get_current_instance() is logger
    handler = _Records()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_build_model_keeps_init_report_off_the_logger(records):
    cfg = Config.fromfile(TINY_CONFIG)
    model = build_model(cfg.model)
    assert type(model).__name__ == 'ClassAgnosticCondInst'
    assert model.is_init
    assert not [r for r in records if r.levelno < logging.WARNING]
    # without the helper, mmengine logs one record per parameter, e.g.
    # 'neck.lateral_convs.0.conv.weight - torch.Size(...)'
    plain = build_model(cfg.model, init_weights=False)
    assert not plain.is_init and not records
    plain.init_weights()
    names = '\n'.join(r.getMessage() for r in records)
    assert 'neck.lateral_convs.0.conv.weight' in names
    assert len(records) > 100


def test_quiet_logs_restores_the_level_and_lets_warnings_through(records):
    logger = MMLogger.get_current_instance()
    before = logger.level
    with pytest.raises(RuntimeError):
        with quiet_logs():
            logger.info('hidden')
            logger.warning('shown')
            raise RuntimeError
    assert logger.level == before
    logger.info('after')
    assert [r.getMessage() for r in records] == ['shown', 'after']
