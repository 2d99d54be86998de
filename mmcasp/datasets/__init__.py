# Copyright (c) mmcasp contributors. All rights reserved.
from .class_agnostic_coco import ClassAgnosticCocoDataset
from .coco_subsets import (k_shot_subset, percent_split, percent_tag,
                           short_categories)
from .dataset_checks import (DatasetCheckError, EmptyDatasetError,
                             annotation_file_problems, check_datasets,
                             empty_dataset_problems, leaf_datasets)
from .entities import (PanopticFormatError, convert_panoptic_to_entities,
                       panoptic_to_entities)
from .image_dataset import ImageDataset
from .image_labels import image_level_labels
from .image_list import ImageList, list_images, walk_images
from .image_source import (IMAGE_EXTENSIONS, LISTING_SKIP_REASONS,
                           OTHER_IMAGE_EXTENSIONS, SKIP_REASONS,
                           ImageSourceError, SkipCounts, check_complete,
                           collect_images, decode_image, describe_images,
                           safe_relative_path)
from .mask_loading import (MaskLoadingError, check_mask_loading,
                           count_rle_masks, drops_rle_masks, rle_mask_problems)
from .predet_views import (boxes_from_view, boxes_to_view,
                           edge_density_proposals, sample_crop,
                           visible_fraction)
from .pseudo_label_dataset import PseudoLabelDataset, StoreImages
from .toy import (TOY_STUFF_CLASSES, TOY_THING_CLASSES, make_toy_dataset,
                  render_toy_image)
from .transforms import *  # noqa: F401,F403

__all__ = [
    'ClassAgnosticCocoDataset', 'TOY_THING_CLASSES', 'TOY_STUFF_CLASSES',
    'make_toy_dataset', 'render_toy_image', 'PanopticFormatError',
    'convert_panoptic_to_entities', 'panoptic_to_entities', 'ImageDataset',
    'image_level_labels', 'boxes_from_view', 'boxes_to_view',
    'edge_density_proposals', 'sample_crop', 'visible_fraction',
    'MaskLoadingError', 'check_mask_loading', 'count_rle_masks',
    'drops_rle_masks', 'rle_mask_problems', 'SKIP_REASONS', 'ImageSourceError',
    'check_complete', 'collect_images', 'decode_image', 'safe_relative_path',
    'IMAGE_EXTENSIONS', 'OTHER_IMAGE_EXTENSIONS', 'LISTING_SKIP_REASONS',
    'SkipCounts', 'describe_images', 'percent_split', 'k_shot_subset',
    'short_categories', 'percent_tag', 'DatasetCheckError',
    'EmptyDatasetError', 'annotation_file_problems', 'check_datasets',
    'empty_dataset_problems', 'leaf_datasets', 'PseudoLabelDataset',
    'StoreImages', 'ImageList', 'list_images', 'walk_images'
]
