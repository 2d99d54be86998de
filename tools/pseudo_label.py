# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo-label images with a trained detector (CaSP) and write a trainable
COCO file.

Example::

    python tools/pseudo_label.py CONFIG CHECKPOINT \
        --images data/toy/annotations/unlabeled.json \
        --image-root data/toy/images/unlabeled \
        --out work_dirs/pseudo/unlabeled_pseudo.json --delta 0.2
    # 2 processes (CPU: gloo):
    python -m torch.distributed.run --nproc_per_node 2 tools/pseudo_label.py \
        CONFIG CHECKPOINT --images ... --out ... --launcher pytorch

Images: a folder (recursive), a COCO json (``images``) or a text list;
what was found (per top-level folder, first names, what the listing left
out) is printed before the model loads. Progress is kept in
``<out>.shards/``: a killed run started again resumes without redoing
finished images. Predictions with objectness > delta are kept; images left
without a label are dropped and counted; the statistics account for every
listed entry. A run that keeps no image writes its file and exits non-zero
(``--allow-empty``: exit 0).
"""
import argparse
import os
import sys

from mmengine.config import DictAction
from mmengine.dist import get_dist_info

import mmcasp  # noqa: F401
from mmcasp.apis import build_detector_predictor
from mmcasp.pseudo_labels import (LabelingSettings, collect_images,
                                  describe_images, empty_result_message,
                                  format_stats, run_pseudo_labeling)
from mmcasp.utils import (check_checkpoint, description, init_distributed,
                          load_config, merge_options, run_main)

#: What to do when a run keeps no image (the ``error:`` line ends with it).
EMPTY_ADVICE = (
    'Lower --delta (now {delta}) if predictions were dropped below_delta, '
    'check the labeler (tools/analysis_tools/eval_pseudo_labels.py scores '
    'its labels on images with ground truth) and the images (the listing '
    'above), or pass --allow-empty to accept an empty file')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='detector checkpoint')
    parser.add_argument(
        '--images', required=True, help='folder, COCO json or text list')
    parser.add_argument(
        '--image-root', help='root of file names in a json/list source')
    parser.add_argument('--out', required=True, help='output COCO json')
    parser.add_argument('--delta', type=float, default=LabelingSettings.delta)
    parser.add_argument(
        '--max-per-image', type=int, default=LabelingSettings.max_per_image)
    parser.add_argument(
        '--min-size', type=float, default=LabelingSettings.min_size)
    parser.add_argument('--flip', action='store_true', help='flip TTA')
    parser.add_argument(
        '--batch-size', type=int, default=LabelingSettings.batch_size)
    parser.add_argument(
        '--num-workers', type=int, default=LabelingSettings.num_workers)
    parser.add_argument('--fp16', action='store_true', help='GPU only')
    parser.add_argument(
        '--device',
        default=None,
        help='default: cuda if '
        'available, else cpu')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='config overrides')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument(
        '--allow-empty',
        action='store_true',
        help='exit 0 when no image is kept (by default such a run writes '
        'its file, says why and exits non-zero)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    # check the images before any model is loaded
    entries, refused, root = collect_images(args.images, args.image_root)
    cfg = load_config(args.config)
    merge_options(cfg, args.cfg_options)
    check_checkpoint(args.checkpoint)
    init_distributed(args.launcher)
    rank, _ = get_dist_info()
    if rank == 0:  # before the model loads: a wrong folder is seen at once
        print(describe_images(entries, refused, args.images, root), flush=True)
    settings = LabelingSettings(
        delta=args.delta,
        max_per_image=args.max_per_image,
        min_size=args.min_size,
        flip=args.flip,
        fp16=args.fp16,
        batch_size=args.batch_size,
        num_workers=args.num_workers)
    predictor = build_detector_predictor(
        cfg, args.checkpoint, settings=settings, device=args.device)
    info = dict(
        description='CaSP detector pseudo labels',
        model_config=os.path.abspath(args.config),
        checkpoint=os.path.abspath(args.checkpoint),
        delta=args.delta,
        max_per_image=args.max_per_image,
        min_size=args.min_size,
        flip=args.flip,
        image_source=os.path.abspath(args.images),
        image_root=os.path.abspath(root),
        refused_names=dict(refused))
    stats = run_pseudo_labeling(
        entries,
        predictor,
        args.out,
        prepare=predictor.prepare,
        info=info,
        refused=refused,
        **settings.loop_kwargs())
    if rank != 0:
        return
    print(format_stats(stats))
    print(f'wrote {args.out}')
    advice = '' if args.allow_empty else EMPTY_ADVICE.format(delta=args.delta)
    empty = empty_result_message(stats, args.out, advice)
    if empty and args.allow_empty:
        print(f'warning: {empty}')
    elif empty:
        sys.exit(f'error: {empty}')


if __name__ == '__main__':
    run_main(main)
