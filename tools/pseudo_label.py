# Copyright (c) mmcasp contributors. All rights reserved.
"""Pseudo-label images with a trained detector (CaSP) and write a label
store (``--out DIR``) or a trainable COCO file (``--out x.json``).

Example::

    python tools/pseudo_label.py CONFIG CHECKPOINT \
        --images data/toy/annotations/unlabeled.json \
        --image-root data/toy/images/unlabeled \
        --out work_dirs/pseudo/unlabeled_pseudo.json --delta 0.2
    # 2 processes (CPU: gloo):
    python -m torch.distributed.run --nproc_per_node 2 tools/pseudo_label.py \
        CONFIG CHECKPOINT --images ... --out ... --launcher pytorch
    # a label store, by 4 independent jobs (e.g. a slurm job array), then
    # joined:
    python tools/pseudo_label.py CONFIG CHECKPOINT --images DIR \
        --out work_dirs/pseudo/store --part 0/4    # ... 1/4, 2/4, 3/4
    python tools/misc/label_store.py build work_dirs/pseudo/store/records \
        work_dirs/pseudo/store

Images: a folder (recursive), a COCO json (``images``) or a text list;
what was found (per top-level folder, first names, what the listing left
out) is printed before the model loads. Progress is kept in
``<out>/records/`` (a store) or ``<out>.shards/`` (a COCO file): a killed
run started again resumes without redoing finished images. A store
(docs/pseudo_labels.md) trains with ``PseudoLabelDataset`` in bounded
memory at any size; a COCO file is for small sets and stock tools.
Predictions with objectness > delta are kept (``--keep-top``: and each
image's best one; ``--class-specific``: with the model's classes, e.g. DAP's
self-training labels, docs/recipes.md); images left without a label
are dropped and counted; the statistics account for every listed entry. A
run that keeps no image writes its file and exits non-zero
(``--allow-empty``: exit 0).
"""
import argparse
import os
import sys

from mmengine.config import DictAction
from mmengine.dist import get_dist_info

import mmcasp  # noqa: F401
from mmcasp.apis import build_detector_predictor
from mmcasp.datasets import list_images
from mmcasp.pseudo_labels import (LabelingSettings, class_categories,
                                  describe_images, empty_result_message,
                                  format_stats, label_images, model_classes)
from mmcasp.pseudo_labels.label_store import is_store_path
from mmcasp.pseudo_labels.labeling_loop import parse_part
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
    parser.add_argument(
        '--out',
        required=True,
        help='a folder: the label store to write; a .json file: a COCO '
        'file (small sets, stock tools)')
    parser.add_argument(
        '--part',
        metavar='I/N',
        help='label only the I-th (0-based) of N slices, as an independent '
        'job (no process group: a slurm job array); a store only. '
        'tools/misc/label_store.py build OUT/records OUT joins the parts')
    parser.add_argument('--delta', type=float, default=LabelingSettings.delta)
    parser.add_argument(
        '--max-per-image', type=int, default=LabelingSettings.max_per_image)
    parser.add_argument(
        '--min-size', type=float, default=LabelingSettings.min_size)
    parser.add_argument(
        '--keep-top',
        action='store_true',
        help="also keep each image's highest-scoring prediction, whatever "
        "its score (DAP's self-training: --delta 0.6 --keep-top)")
    parser.add_argument(
        '--class-specific',
        action='store_true',
        help="write the model's classes (its checkpoint's dataset_meta or "
        "the config's metainfo.classes) instead of one 'object' category")
    parser.add_argument(
        '--categories',
        metavar='COCO_JSON',
        help='with --class-specific: take the category ids of this COCO '
        'file, by class name (default: 1..K in class order)')
    parser.add_argument(
        '--flip',
        action='store_true',
        help='flip TTA (merged per class with --class-specific)')
    parser.add_argument(
        '--batch-size', type=int, default=LabelingSettings.batch_size)
    parser.add_argument(
        '--num-workers', type=int, default=LabelingSettings.num_workers)
    parser.add_argument(
        '--cpu-workers',
        type=int,
        default=LabelingSettings.cpu_workers,
        help='CPU: images labeled side by side, each on one thread '
        '(default: the torch thread count; labels do not depend on it)')
    parser.add_argument('--fp16', action='store_true', help='GPU only')
    parser.add_argument(
        '--bf16',
        action='store_true',
        help='bf16 autocast: on a CPU with native bf16 (AMX, AVX-512 BF16) '
        'several times faster, other labels than fp32 (measured in '
        'docs/benchmarks.md)')
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
    try:
        part = parse_part(args.part)
    except ValueError as e:
        sys.exit(f'error: {e}')
    if args.categories and not args.class_specific:
        sys.exit('error: --categories names the ids of class-specific '
                 'labels: add --class-specific')
    if part is not None and not is_store_path(args.out):
        sys.exit(f'error: --part writes a label store: give a folder as '
                 f'--out, not {args.out}')
    # check the images before any model is loaded
    entries, refused, root = list_images(args.images, args.image_root)
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
        keep_top=args.keep_top,
        flip=args.flip,
        fp16=args.fp16,
        bf16=args.bf16,
        cpu_workers=args.cpu_workers,
        batch_size=args.batch_size,
        num_workers=args.num_workers)
    predictor = build_detector_predictor(
        cfg, args.checkpoint, settings=settings, device=args.device)
    categories = None  # one 'object' category
    if args.class_specific:
        try:
            categories, predictor.category_ids = class_categories(
                model_classes(predictor.model), args.categories)
        except ValueError as e:
            sys.exit(f'error: --class-specific: {e}')
    info = dict(
        description='CaSP detector pseudo labels',
        model_config=os.path.abspath(args.config),
        checkpoint=os.path.abspath(args.checkpoint),
        class_specific=args.class_specific,
        forward=predictor.forward_settings(),
        **settings.rules())
    stats = label_images(
        predictor,
        entries,
        args.out,
        root,
        source=args.images,
        refused=refused,
        info=info,
        categories=categories,
        part=part,
        **settings.loop_kwargs())
    if rank != 0:
        return
    if part is not None:
        print(f"part {part[0]}/{part[1]}: {stats['images']} images, "
              f"{stats['images_labeled_this_run']} labeled by this run "
              f"({stats['wall_s']:.1f} s); once every part is done: "
              f'python tools/misc/label_store.py build '
              f'{os.path.join(args.out, "records")} {args.out}')
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
