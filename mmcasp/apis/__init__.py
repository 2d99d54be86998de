# Copyright (c) mmcasp contributors. All rights reserved.
"""The user-facing entry points for inference and pseudo labeling (each
lives with the code it belongs to)."""
from mmcasp.pseudo_labels.predictor_builders import (build_cam_predictor,
                                                     build_detector_predictor)
from mmcasp.utils.build import load_detector

__all__ = ['load_detector', 'build_detector_predictor', 'build_cam_predictor']
