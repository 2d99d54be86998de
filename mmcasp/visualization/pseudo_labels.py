# Copyright (c) mmcasp contributors. All rights reserved.
"""Readable pictures of pseudo labels: which labels to draw, small images
scaled up, scores as probabilities, the image's label count in a caption.

Drawing is mmdet's ``DetLocalVisualizer``; :class:`ScoreVisualizer` changes
only how a score is written (``0.22``, where mmdet writes ``22.0``).
"""
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmdet.structures import DetDataSample
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import InstanceData

from mmcasp.registry import VISUALIZERS

__all__ = [
    'ScoreVisualizer', 'select_labels', 'upscale_factor', 'label_caption',
    'draw_pseudo_labels'
]


@VISUALIZERS.register_module()
class ScoreVisualizer(DetLocalVisualizer):
    """``DetLocalVisualizer`` that writes scores as probabilities with two
    decimals (``object 0.22``) and, with ``show_class=False``, the score
    alone (for one-class, class-agnostic labels). Texts are at least
    ``min_font_size`` points (mmdet shrinks them to 6.5 on small boxes)."""

    def __init__(self,
                 name: str = 'visualizer',
                 show_class: bool = True,
                 min_font_size: int = 10,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.show_class = show_class
        self.min_font_size = min_font_size

    def draw_texts(self, texts, positions, *args, font_sizes=None, **kwargs):
        if isinstance(font_sizes, (int, float)):
            font_sizes = max(font_sizes, self.min_font_size)
        return super().draw_texts(
            texts, positions, *args, font_sizes=font_sizes, **kwargs)

    def _draw_instances(self, image, instances, classes, palette):
        if 'scores' in instances:
            instances = instances.clone()
            scores = instances.scores.tolist()
            if 'label_names' in instances:
                names = list(instances.label_names)
            else:
                names = [
                    classes[i] if classes is not None else f'class {i}'
                    for i in instances.labels.tolist()
                ]
            instances.label_names = [
                f'{n} {s:.2f}' if self.show_class else f'{s:.2f}'
                for n, s in zip(names, scores)
            ]
            del instances.scores
        return super()._draw_instances(image, instances, classes, palette)


def select_labels(anns: Sequence[dict],
                  score_thr: float = 0.,
                  top_k: Optional[int] = None) -> List[dict]:
    """The annotations to draw: score at least ``score_thr`` (labels
    without a score count as 1.0), highest first, at most ``top_k``."""
    kept = [a for a in anns if a.get('score', 1.0) >= score_thr]
    kept.sort(key=lambda a: -a.get('score', 1.0))
    return kept if top_k is None else kept[:top_k]


def upscale_factor(height: int, width: int, min_size: int) -> float:
    """Factor (>= 1) that brings the shorter image side to ``min_size``
    pixels; 1 when it is already that large or ``min_size`` is 0."""
    short = min(height, width)
    return max(1.0, min_size / short) if min_size > 0 and short > 0 else 1.0


def label_caption(total: int,
                  shown: int,
                  score_thr: float = 0.,
                  top_k: Optional[int] = None) -> str:
    """``'29 labels'``, or ``'29 labels, 10 shown (score >= 0.30, top
    10)'`` when some are left out."""
    text = f'{total} label' + ('' if total == 1 else 's')
    if shown == total:
        return text
    rules = []
    if score_thr > 0:
        rules.append(f'score >= {score_thr:.2f}')
    if top_k is not None:
        rules.append(f'top {top_k}')
    return f'{text}, {shown} shown ({", ".join(rules)})'


def _decode(segmentation, height: int, width: int) -> np.ndarray:
    """A COCO segmentation (RLE or polygons) as a uint8 mask."""
    if isinstance(segmentation, list):  # polygons
        segmentation = mask_utils.merge(
            mask_utils.frPyObjects(segmentation, height, width))
    elif isinstance(segmentation.get('counts'), list):  # uncompressed RLE
        segmentation = mask_utils.frPyObjects(segmentation, height, width)
    return mask_utils.decode(segmentation)


def draw_pseudo_labels(vis: ScoreVisualizer,
                       image: np.ndarray,
                       anns: Sequence[dict],
                       cat_ids: Sequence[int],
                       caption: str,
                       min_size: int = 512) -> Tuple[np.ndarray, float]:
    """Draw ``anns`` (COCO annotations of one image: ``bbox`` xywh, optional
    RLE ``segmentation`` and ``score``) on the RGB ``image``, scaled up to
    ``min_size`` on the shorter side, with ``caption`` in the top-left
    corner. ``cat_ids[i]`` is the category id of ``vis.dataset_meta``'s
    class ``i``. Returns the RGB drawing and the scale factor."""
    h, w = image.shape[:2]
    scale = upscale_factor(h, w, min_size)
    if scale > 1:
        image = mmcv.imresize(
            image, (round(w * scale), round(h * scale)),
            interpolation='bilinear')
    size = image.shape[1], image.shape[0]
    pred = InstanceData()
    boxes = np.array([a['bbox'] for a in anns], np.float32).reshape(-1, 4)
    boxes[:, 2:] += boxes[:, :2]
    pred.bboxes = torch.from_numpy(boxes * scale)
    pred.scores = torch.tensor([float(a.get('score', 1.0)) for a in anns])
    pred.labels = torch.tensor([cat_ids.index(a['category_id']) for a in anns],
                               dtype=torch.long)
    if anns and all(a.get('segmentation') for a in anns):
        pred.masks = torch.from_numpy(
            np.stack([
                mmcv.imresize(
                    _decode(a['segmentation'], h, w),
                    size,
                    interpolation='nearest') for a in anns
            ]).astype(bool))
    sample = DetDataSample()
    sample.pred_instances = pred
    vis.add_datasample(
        'pseudo labels',
        image,
        data_sample=sample,
        draw_gt=False,
        show=False,
        pred_score_thr=-1.)
    vis.set_image(vis.get_image())
    vis.draw_texts(
        caption,
        np.array([4, 4]),
        colors='white',
        font_sizes=max(10, size[1] // 32),
        vertical_alignments='top',
        bboxes=[dict(facecolor='black', alpha=0.8, pad=1.0, edgecolor='none')])
    return vis.get_image(), scale
