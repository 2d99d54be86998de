# Copyright (c) mmcasp contributors. All rights reserved.
from mmcasp.datasets.image_list import ImageList, list_images
from mmcasp.datasets.image_source import (SKIP_REASONS, ImageSourceError,
                                          check_complete, collect_images,
                                          decode_image, describe_images,
                                          safe_relative_path)
from .cam import (cam_to_boxes, component_boxes, nms_keep, normalize_cam,
                  scale_boxes)
from .cam_classifier import build_cam_classifier
from .class_categories import class_categories, model_classes
from .coco_io import (RecordWriter, build_pseudo_coco, dump_json_atomic,
                      read_records)
from .extreme_shapes import MAX_ASPECT, crop_instances, pad_to_aspect
from .label_files import load_pseudo_labels
from .labeling_driver import label_images
from .labeling_loop import (DecodedImages, empty_result_message, format_stats,
                            run_pseudo_labeling)
from .labeling_settings import LabelingSettings
from .objectness import OBJECTNESS_RULES, objectness_rule
from .one_thread_workers import OneThreadWorkers
from .postprocess import (encode_masks, merge_flip_predictions,
                          rle_from_change_points, select_instances)
from .predictor_builders import build_cam_predictor, build_detector_predictor
from .predictors import (CAM_INPUTS, CamPredictor, DetectorPredictor,
                         cam_rules, inference_pipeline)
from .quality import (ComparisonError, check_comparable,
                      evaluate_pseudo_labels, match_images,
                      precision_recall_at_iou)

__all__ = [
    'cam_to_boxes', 'component_boxes', 'nms_keep', 'normalize_cam',
    'scale_boxes', 'build_cam_classifier', 'RecordWriter', 'build_pseudo_coco',
    'dump_json_atomic', 'read_records', 'merge_flip_predictions',
    'select_instances', 'encode_masks', 'rle_from_change_points',
    'DecodedImages', 'format_stats', 'run_pseudo_labeling', 'ImageSourceError',
    'check_complete', 'collect_images', 'decode_image', 'safe_relative_path',
    'CamPredictor', 'DetectorPredictor', 'inference_pipeline',
    'evaluate_pseudo_labels', 'precision_recall_at_iou', 'SKIP_REASONS',
    'MAX_ASPECT', 'crop_instances', 'pad_to_aspect', 'LabelingSettings',
    'OBJECTNESS_RULES', 'objectness_rule', 'describe_images',
    'empty_result_message', 'ComparisonError', 'check_comparable',
    'match_images', 'label_images', 'build_detector_predictor',
    'class_categories', 'model_classes', 'build_cam_predictor', 'CAM_INPUTS',
    'cam_rules', 'load_pseudo_labels', 'ImageList', 'list_images',
    'OneThreadWorkers'
]
