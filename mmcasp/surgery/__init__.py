# Copyright (c) mmcasp contributors. All rights reserved.
from .api import build_target_model, source_fpn_layout, transfer_into_model
from .fpn import FpnLayout, fpn_conv_level, map_fpn_index
from .rules import (PARTS, TARGET_RULES, detect_target_kind, source_part,
                    target_classifier_prefix)
from .source import load_source, strip_wrapper_prefix
from .transfer import (CLASSIFIER_MODES, TransferError, format_report,
                       init_classifier, transfer_state_dict)
from .transfer_init import CaSPTransferInit

__all__ = [
    'build_target_model', 'source_fpn_layout', 'transfer_into_model',
    'FpnLayout', 'fpn_conv_level', 'map_fpn_index', 'PARTS', 'TARGET_RULES',
    'detect_target_kind', 'source_part', 'target_classifier_prefix',
    'load_source', 'strip_wrapper_prefix', 'CLASSIFIER_MODES', 'TransferError',
    'format_report', 'init_classifier', 'transfer_state_dict',
    'CaSPTransferInit'
]
