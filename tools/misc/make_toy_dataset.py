# Copyright (c) mmcasp contributors. All rights reserved.
"""Generate the embedded toy dataset (COCO instances + COCO panoptic).

Example::

    python tools/misc/make_toy_dataset.py data/toy --sizes 120 240 60 --seed 0
"""
import argparse
import json

from mmcasp.datasets.toy import make_toy_dataset, toy_split_sizes
from mmcasp.utils import description


def parse_args():
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument(
        '--sizes',
        type=int,
        nargs=3,
        default=(120, 240, 60),
        metavar=('LABELED', 'UNLABELED', 'VAL'),
        help='images per split')
    parser.add_argument('--image-size', type=int, default=128)
    parser.add_argument('--max-things', type=int, default=6)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    paths = make_toy_dataset(
        args.out_dir,
        toy_split_sizes(args.sizes),
        image_size=args.image_size,
        seed=args.seed,
        max_things=args.max_things)
    print(json.dumps(paths, indent=2))


if __name__ == '__main__':
    main()
