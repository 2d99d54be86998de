# Copyright (c) mmcasp contributors. All rights reserved.
"""Draw pseudo labels (boxes, masks, scores) of a COCO file or a label
store on their images, into a folder, with mmdet's visualizer.

Example::

    python tools/analysis_tools/show_pseudo_labels.py \\
        work_dirs/pseudo/unlabeled.json --out-dir work_dirs/show \\
        -n 20 --score-thr 0.3 --top-k 10

Small images (the 128 px toy images) are scaled up to ``--min-size`` on the
shorter side so labels stay readable; scores are written as probabilities
(``0.22``); the top-left caption gives the image's label count in the file
and how many are drawn. Files are named after the images.
"""
import argparse
import os
import os.path as osp
import sys

import mmcv
from mmengine.utils import ProgressBar

from mmcasp.pseudo_labels import load_pseudo_labels, safe_relative_path
from mmcasp.utils import description, run_main
from mmcasp.visualization import (ScoreVisualizer, draw_pseudo_labels,
                                  label_caption, select_labels)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=description(__doc__))
    parser.add_argument(
        'pseudo', help='pseudo-label COCO json, or a label store folder')
    parser.add_argument(
        '--image-root',
        help='folder the file names are relative to (default: the '
        "file's info.image_root, written by tools/pseudo_label.py)")
    parser.add_argument('--out-dir', required=True)
    parser.add_argument(
        '-n', '--num', type=int, default=20, help='first N images')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.,
        help='draw labels with at least this score (default: all)')
    parser.add_argument(
        '--top-k',
        type=int,
        default=None,
        help='draw at most K labels per image, highest scores first')
    parser.add_argument(
        '--min-size',
        type=int,
        default=512,
        help='scale images up to this shorter side (0: never)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    coco = load_pseudo_labels(args.pseudo, max_images=args.num)
    root = args.image_root or coco.get('info', {}).get('image_root')
    if not root:
        sys.exit(f'error: {args.pseudo} records no info.image_root; give '
                 '--image-root (the folder its file names are relative to)')
    if not osp.isdir(root):
        sys.exit(f'error: image folder {root} does not exist')
    names = {c['id']: c['name'] for c in coco['categories']}
    cat_ids = sorted(names)
    anns = {}
    for a in coco['annotations']:
        anns.setdefault(a['image_id'], []).append(a)
    vis = ScoreVisualizer(
        name='show_pseudo_labels', show_class=len(cat_ids) > 1)
    vis.dataset_meta = dict(classes=tuple(names[c] for c in cat_ids))
    os.makedirs(args.out_dir, exist_ok=True)
    images = coco['images'][:args.num]
    bar = ProgressBar(len(images))
    for img in images:
        path = osp.join(root, safe_relative_path(img['file_name'], root))
        image = mmcv.imread(path, channel_order='rgb')
        own = anns.get(img['id'], [])
        shown = select_labels(own, args.score_thr, args.top_k)
        caption = label_caption(
            len(own), len(shown), args.score_thr, args.top_k)
        drawn, _ = draw_pseudo_labels(vis, image, shown, cat_ids, caption,
                                      args.min_size)
        out = osp.join(args.out_dir, img['file_name'].replace(os.sep, '__'))
        mmcv.imwrite(drawn[..., ::-1], out)
        bar.update()
    print(f'\nwrote {len(images)} images to {args.out_dir}')


if __name__ == '__main__':
    run_main(main)
