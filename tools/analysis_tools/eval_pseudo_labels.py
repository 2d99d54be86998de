# Copyright (c) mmcasp contributors. All rights reserved.
"""Score a pseudo-label file (or label store) against ground truth of the
same images: class-agnostic (default) or class-specific COCO AP/AR and
precision/recall at an IoU — the papers' pseudo-vs-ground-truth gap.

Example::

    python tools/analysis_tools/eval_pseudo_labels.py \
        work_dirs/pseudo/val_pseudo.json data/coco-mini/annotations/val.json

Images are matched by id. A ground-truth file without annotations, one that
shares no image with the pseudo labels, or shared ids naming different
files stop the tool with one ``error:`` line (the numbers would mean
nothing); partial overlaps are noted.
"""
import argparse
import json

from mmcasp.pseudo_labels import (check_comparable, evaluate_pseudo_labels,
                                  load_pseudo_labels)
from mmcasp.utils import check_coco_file, description, run_main


def parse_args():
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument(
        'pseudo', help='pseudo-label COCO json, or a label store folder')
    parser.add_argument('gt', help='ground-truth COCO json')
    parser.add_argument(
        '--class-specific',
        action='store_true',
        help='compare categories too (needs shared category ids)')
    parser.add_argument('--iou', type=float, default=0.5)
    parser.add_argument('--out', help='write the numbers as JSON here')
    return parser.parse_args()


def main():
    args = parse_args()
    pseudo = load_pseudo_labels(args.pseudo)
    gt = check_coco_file(args.gt, what='ground-truth file')
    notes = check_comparable(pseudo, gt, args.pseudo, args.gt)
    res = evaluate_pseudo_labels(
        pseudo, gt, class_agnostic=not args.class_specific, iou=args.iou)
    mode = 'class-specific' if args.class_specific else 'class-agnostic'
    for note in notes:
        print(f'note: {note}')
    print(f'{mode} quality of {args.pseudo} on {len(gt["images"])} images:')
    for k, v in res.items():
        print(
            f'  {k:<16} {v:.4f}' if isinstance(v, float) else f'  {k:<16} {v}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(mode=mode, **res), f, indent=1)


if __name__ == '__main__':
    run_main(main)
