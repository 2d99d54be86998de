# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo-label images with class activation maps (DAP) and write a
trainable COCO file (boxes).

Example (ImageNet EfficientNet-Lite0, top-1 class, class-agnostic boxes)::

    python tools/cam_pseudo_label.py \
        --images data/coco-mini/annotations/unlabeled.json \
        --image-root data/coco-mini/images --out work_dirs/dap/pseudo.json \
        --class-agnostic

Weakly supervised (image-level labels from annotations) with your own
classifier (a config defining ``classifier = dict(type=...)`` whose class
index i is the i-th category of the labels file, by id)::

    python tools/cam_pseudo_label.py --images ... --out ... \
        --classifier-config my_cls.py --checkpoint my_cls.pth \
        --labels data/coco/annotations/instances_train2017.json

Same machinery as tools/pseudo_label.py: what the image source holds is
printed before the classifier loads, resumable (``<out>.shards``),
distributed (``--launcher pytorch``), bad images skipped and counted, and a
run that makes no label writes its file and exits non-zero
(``--allow-empty``: exit 0).
"""
import argparse
import os
import sys

import torch
from mmengine.dist import get_dist_info

import mmcasp  # noqa: F401
from mmcasp.datasets import image_level_labels
from mmcasp.pseudo_labels import (LabelingSettings, build_cam_classifier,
                                  build_cam_predictor, cam_rules,
                                  collect_images, describe_images,
                                  empty_result_message, format_stats,
                                  label_images)
from mmcasp.utils import (InputFileError, check_checkpoint, check_coco_file,
                          description, init_distributed, run_main)

#: What to do when a run makes no label (the ``error:`` line ends with it).
EMPTY_ADVICE = (
    'Lower --min-score (now {min_score}) or --thresholds, check the '
    'classifier (--classifier-config, --checkpoint; '
    'tools/analysis_tools/eval_pseudo_labels.py scores its labels on images '
    'with ground truth) and the images (the listing above), or pass '
    '--allow-empty to accept an empty file')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument(
        '--images', required=True, help='folder, COCO json or text list')
    parser.add_argument('--image-root', help='root of json/list file names')
    parser.add_argument('--out', required=True, help='output COCO json')
    parser.add_argument(
        '--classifier-config',
        help='config with `classifier = dict(type=...)`, or a training '
        'config whose model is a CAM classifier (e.g. ImageLevelClassifier, '
        'configs/classifier/); default: EfficientNet-Lite0 with its '
        'ImageNet weights')
    parser.add_argument('--checkpoint', help='classifier checkpoint')
    parser.add_argument(
        '--labels',
        help='COCO json with image-level labels (weakly supervised), matched '
        'to the images by file name; its categories, sorted by id, are the '
        'classifier classes; images it does not list get the --top-k '
        'predicted classes')
    rules = cam_rules()  # the CAM rules' defaults, stated once
    parser.add_argument('--top-k', type=int, default=rules['top_k'])
    parser.add_argument(
        '--scales', type=int, nargs='+', default=list(rules['scales']))
    parser.add_argument(
        '--no-flip',
        action='store_false',
        dest='flip',
        default=rules['flip'],
        help='no horizontal-flip TTA of the CAMs')
    parser.add_argument(
        '--relu',
        action='store_true',
        help='clamp CAMs at 0 before the min-max normalisation (mmcasp '
        '0.1.0; DAP Eq. 1 normalises the raw CAM)')
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs='+',
        default=list(rules['thresholds']))
    parser.add_argument('--nms-iou', type=float, default=rules['nms_iou'])
    parser.add_argument('--min-score', type=float, default=rules['min_score'])
    parser.add_argument('--class-agnostic', action='store_true')
    parser.add_argument('--keep-empty', action='store_true')
    parser.add_argument(
        '--allow-empty',
        action='store_true',
        help='exit 0 when no label is made (by default such a run writes '
        'its file, says why and exits non-zero)')
    parser.add_argument(
        '--batch-size', type=int, default=LabelingSettings.batch_size)
    parser.add_argument(
        '--num-workers', type=int, default=LabelingSettings.num_workers)
    parser.add_argument('--fp16', action='store_true')
    parser.add_argument('--device', default=None)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.checkpoint and not args.classifier_config:
        raise InputFileError(
            f'--checkpoint {args.checkpoint} needs the classifier config it '
            'was trained with: add --classifier-config CONFIG')
    entries, refused, root = collect_images(args.images, args.image_root)
    image_labels, categories, category_ids = None, None, None
    if args.labels:
        cats, image_labels = image_level_labels(
            check_coco_file(
                args.labels, annotations=False, what='image-label file'))
        categories = [
            dict(id=c['id'], name=c['name'], supercategory='') for c in cats
        ]
        category_ids = [c['id'] for c in cats]
    if args.checkpoint:
        check_checkpoint(args.checkpoint, 'classifier checkpoint')
    init_distributed(args.launcher)
    rank = get_dist_info()[0]
    if rank == 0:  # before the model loads: a wrong folder is seen at once
        print(describe_images(entries, refused, args.images, root), flush=True)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    classifier = build_cam_classifier(args.classifier_config,
                                      args.checkpoint).to(device)
    if categories is None and not args.class_agnostic:
        n = classifier.cam_weights()[0].shape[0]
        categories = [
            dict(id=i + 1, name=f'class_{i}', supercategory='')
            for i in range(n)
        ]
    if args.class_agnostic:
        categories = [dict(id=1, name='object', supercategory='object')]
    predictor = build_cam_predictor(
        classifier=classifier,
        image_labels=image_labels,
        top_k=args.top_k,
        scales=args.scales,
        flip=args.flip,
        relu=args.relu,
        thresholds=args.thresholds,
        nms_iou=args.nms_iou,
        class_agnostic=args.class_agnostic,
        category_ids=category_ids,
        min_score=args.min_score,
        fp16=args.fp16)
    info = dict(
        description='DAP CAM pseudo labels',
        classifier=args.classifier_config or 'EfficientNet-Lite0 ImageNet',
        checkpoint=args.checkpoint,
        labels=args.labels,
        # with --labels: for the images the labels file does not list
        top_k=args.top_k,
        scales=args.scales,
        flip=args.flip,
        relu=args.relu,
        thresholds=args.thresholds,
        nms_iou=args.nms_iou)
    stats = label_images(
        predictor,
        entries,
        args.out,
        root,
        source=args.images,
        refused=refused,
        info=info,
        categories=categories,
        drop_empty=not args.keep_empty,
        batch_size=args.batch_size,
        num_workers=args.num_workers)
    if rank != 0:
        return
    print(format_stats(stats))
    print(f'wrote {args.out}')
    advice = '' if args.allow_empty else EMPTY_ADVICE.format(
        min_score=args.min_score)
    empty = empty_result_message(stats, args.out, advice)
    if empty and args.allow_empty:
        print(f'warning: {empty}')
    elif empty:
        sys.exit(f'error: {empty}')


if __name__ == '__main__':
    run_main(main)
