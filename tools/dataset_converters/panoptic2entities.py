# Copyright (c) mmcasp contributors. All rights reserved.
"""Convert COCO panoptic annotations to class-agnostic entity instances.

Every thing and stuff segment becomes an ``entity`` instance (box, RLE mask,
area); crowd segments become ignore regions (``iscrowd=1``).

Example::

    python tools/dataset_converters/panoptic2entities.py \
        data/coco/annotations/panoptic_train2017.json \
        data/coco/annotations/panoptic_train2017 \
        data/coco/annotations/entities_train2017.json --min-area 32
"""
import argparse

from mmcasp.datasets.entities import (PanopticFormatError,
                                      convert_panoptic_to_entities,
                                      entity_stats_table)
from mmcasp.utils import description, run_main


def parse_args():
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument('pan_json', help='COCO panoptic JSON')
    parser.add_argument('pan_png_dir', help='folder of the panoptic PNGs')
    parser.add_argument('out_json', help='output COCO instances JSON')
    parser.add_argument(
        '--min-area',
        type=int,
        default=0,
        help='drop non-crowd segments with fewer pixels')
    parser.add_argument(
        '--category-name', default='entity', help='name of the one class')
    parser.add_argument(
        '--strict',
        action='store_true',
        help='stop at the first bad image instead of skipping and counting')
    return parser.parse_args()


def main():
    args = parse_args()
    stats = convert_panoptic_to_entities(
        args.pan_json,
        args.pan_png_dir,
        args.out_json,
        min_area=args.min_area,
        category_name=args.category_name,
        strict=args.strict)
    print(entity_stats_table(stats))
    print(f'wrote {args.out_json}')


if __name__ == '__main__':
    run_main(main, PanopticFormatError, FileNotFoundError)
