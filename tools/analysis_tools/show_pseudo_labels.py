# Copyright (c) mmcasp contributors. All rights reserved.
"""Draw pseudo labels (boxes, masks, scores) on their images with mmdet's
visualizer, into a folder.

Example::

    python tools/analysis_tools/show_pseudo_labels.py \
        work_dirs/pseudo/unlabeled_pseudo.json \
        --image-root data/toy/images/unlabeled --out-dir work_dirs/show -n 20
"""
import argparse
import json
import os
import os.path as osp

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmdet.structures import DetDataSample
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar

from mmcasp.pseudo_labels import safe_relative_path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('pseudo', help='pseudo-label COCO json')
    parser.add_argument('--image-root', help='default: info.image_root')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('-n', '--num', type=int, default=20)
    parser.add_argument('--score-thr', type=float, default=0.)
    return parser.parse_args()


def main():
    args = parse_args()
    with open(args.pseudo) as f:
        coco = json.load(f)
    root = args.image_root or coco.get('info', {}).get('image_root')
    if not root:
        raise SystemExit('error: give --image-root')
    names = {c['id']: c['name'] for c in coco['categories']}
    cat_ids = sorted(names)
    anns = {}
    for a in coco['annotations']:
        anns.setdefault(a['image_id'], []).append(a)
    vis = DetLocalVisualizer(name='show_pseudo_labels')
    vis.dataset_meta = dict(classes=tuple(names[c] for c in cat_ids))
    os.makedirs(args.out_dir, exist_ok=True)
    images = coco['images'][:args.num]
    bar = ProgressBar(len(images))
    for img in images:
        path = osp.join(root, safe_relative_path(img['file_name'], root))
        image = mmcv.imread(path, channel_order='rgb')
        inst = [
            a for a in anns.get(img['id'], [])
            if a.get('score', 1.0) >= args.score_thr
        ]
        pred = InstanceData()
        boxes = np.array([a['bbox'] for a in inst],
                         dtype=np.float32).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        pred.bboxes = torch.from_numpy(boxes)
        pred.scores = torch.tensor([a.get('score', 1.0) for a in inst])
        pred.labels = torch.tensor(
            [cat_ids.index(a['category_id']) for a in inst], dtype=torch.long)
        if inst and all('segmentation' in a for a in inst):
            pred.masks = torch.from_numpy(
                np.stack([mask_utils.decode(a['segmentation'])
                          for a in inst]).astype(bool))
        sample = DetDataSample()
        sample.pred_instances = pred
        vis.add_datasample(
            img['file_name'],
            image,
            data_sample=sample,
            draw_gt=False,
            show=False,
            pred_score_thr=args.score_thr,
            out_file=osp.join(args.out_dir,
                              img['file_name'].replace(os.sep, '__')))
        bar.update()
    print(f'\nwrote {len(images)} images to {args.out_dir}')


if __name__ == '__main__':
    main()
