# Copyright (c) mmcasp contributors. All rights reserved.
"""Tools build models without mmengine's per-parameter init log."""
import logging

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmcasp.utils.build import build_model, quiet_logs
from tests._helpers import TINY_CONFIG


def test_build_model_keeps_init_report_off_the_logger(log_records):
    cfg = Config.fromfile(TINY_CONFIG)
    model = build_model(cfg.model)
    assert type(model).__name__ == 'ClassAgnosticCondInst'
    assert model.is_init
    assert not [r for r in log_records if r.levelno < logging.WARNING]
    # without the helper, mmengine logs one record per parameter, e.g.
    # 'neck.lateral_convs.0.conv.weight - torch.Size(...)'
    plain = build_model(cfg.model, init_weights=False)
    assert not plain.is_init and not log_records
    plain.init_weights()
    names = '\n'.join(r.getMessage() for r in log_records)
    assert 'neck.lateral_convs.0.conv.weight' in names
    assert len(log_records) > 100


def test_quiet_logs_restores_the_level_and_lets_warnings_through(log_records):
    logger = MMLogger.get_current_instance()
    before = logger.level
    with pytest.raises(RuntimeError):
        with quiet_logs():
            logger.info('hidden')
            logger.warning('shown')
            raise RuntimeError
    assert logger.level == before
    logger.info('after')
    assert [r.getMessage() for r in log_records] == ['shown', 'after']
