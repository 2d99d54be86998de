# Copyright (c) mmcasp contributors. All rights reserved.
from .inference import load_detector
from .predictors import build_cam_predictor, build_detector_predictor

__all__ = ['load_detector', 'build_detector_predictor', 'build_cam_predictor']
