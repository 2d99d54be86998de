# Copyright (c) mmcasp contributors. All rights reserved.
"""Two MoCo-v2-style views of an image with its query boxes."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmcasp.registry import TRANSFORMS
from ..predet_views import boxes_to_view, sample_crop, visible_fraction

__all__ = ['TwoViews']


def _color_jitter(img: np.ndarray, rng: np.random.Generator,
                  strength: Sequence[float]) -> np.ndarray:
    """torchvision's ColorJitter (brightness, contrast, saturation, hue in a
    random order) on a BGR uint8 image."""
    b, c, s, h = strength
    out = img.astype(np.float32)
    for op in rng.permutation(4):
        if op == 0 and b > 0:
            out = out * rng.uniform(1 - b, 1 + b)
        elif op == 1 and c > 0:
            mean = cv2.cvtColor(
                np.clip(out, 0, 255).astype(np.uint8),
                cv2.COLOR_BGR2GRAY).mean()
            out = (out - mean) * rng.uniform(1 - c, 1 + c) + mean
        elif op == 2 and s > 0:
            gray = cv2.cvtColor(
                np.clip(out, 0, 255).astype(np.uint8),
                cv2.COLOR_BGR2GRAY)[..., None].astype(np.float32)
            out = (out - gray) * rng.uniform(1 - s, 1 + s) + gray
        elif op == 3 and h > 0:
            hsv = cv2.cvtColor(
                np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_BGR2HSV)
            shift = int(round(rng.uniform(-h, h) * 180))
            hsv[..., 0] = (hsv[..., 0].astype(np.int32) + shift) % 180
            out = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


@TRANSFORMS.register_module()
class TwoViews(BaseTransform):
    """Two augmented views of ``img`` and the query boxes in each view.

    Each view is a RandomResizedCrop (``scale``, ``ratio``) resized to
    ``out_size``, flipped with ``flip_prob``, then MoCo v2's photometric
    augmentation: color jitter (``jitter``, probability ``jitter_prob``),
    grayscale (``gray_prob``) and Gaussian blur (``blur_prob``, sigma in
    ``blur_sigma`` relative to 224 px). Queries are mapped exactly by
    :func:`~mmcasp.datasets.predet_views.boxes_to_view`, clipped to each
    view, and dropped unless at least ``min_visible`` of their area is in
    *both* views. Up to ``attempts`` crop pairs are drawn until
    ``min_queries`` survive; after that the second view takes the first
    view's crop (different flip and colours).

    Required keys: ``img``, ``query_boxes`` (Q, 4). Added keys: ``views``
    (2, h, w, 3) uint8, ``view_query_boxes`` (2, Q', 4) float32,
    ``view_crops`` (2, 4), ``view_flips`` (2, ), ``query_index`` (Q', )
    (which input queries survived). ``img`` is left as loaded.
    """

    def __init__(self,
                 out_size: Tuple[int, int] = (224, 224),
                 scale: Tuple[float, float] = (0.2, 1.),
                 ratio: Tuple[float, float] = (3. / 4., 4. / 3.),
                 flip_prob: float = 0.5,
                 jitter: Sequence[float] = (0.4, 0.4, 0.4, 0.1),
                 jitter_prob: float = 0.8,
                 gray_prob: float = 0.2,
                 blur_prob: float = 0.5,
                 blur_sigma: Tuple[float, float] = (0.1, 2.),
                 min_visible: float = 0.5,
                 min_queries: int = 1,
                 attempts: int = 10,
                 seed: Optional[int] = None) -> None:
        self.out_size = tuple(out_size)
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.flip_prob = flip_prob
        self.jitter = tuple(jitter)
        self.jitter_prob = jitter_prob
        self.gray_prob = gray_prob
        self.blur_prob = blur_prob
        self.blur_sigma = tuple(blur_sigma)
        self.min_visible = min_visible
        self.min_queries = min_queries
        self.attempts = attempts
        self.rng = np.random.default_rng(seed)

    def _render(self, img: np.ndarray, crop: np.ndarray,
                flip: bool) -> np.ndarray:
        oh, ow = self.out_size
        x0, y0, x1, y1 = crop
        # exact affine map crop -> view (pixel corners), as boxes_to_view
        m = np.array([[ow / (x1 - x0), 0, -x0 * ow / (x1 - x0)],
                      [0, oh / (y1 - y0), -y0 * oh / (y1 - y0)]])
        if flip:
            m = np.array([[-1, 0, ow], [0, 1, 0]]) @ np.vstack([m, [0, 0, 1]])
        # warpAffine maps pixel centres: shift by half a pixel each side
        half = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
        inv_half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
        m = (half @ np.vstack([m, [0, 0, 1]]) @ inv_half)[:2]
        view = cv2.warpAffine(
            img,
            m, (ow, oh),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT)
        rng = self.rng
        if rng.random() < self.jitter_prob:
            view = _color_jitter(view, rng, self.jitter)
        if rng.random() < self.gray_prob:
            view = cv2.cvtColor(
                cv2.cvtColor(view, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        if rng.random() < self.blur_prob:
            sigma = rng.uniform(*self.blur_sigma) * max(oh, ow) / 224.
            view = cv2.GaussianBlur(view, (0, 0), sigma)
        return view

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        queries = np.asarray(results['query_boxes'], dtype=np.float64)
        best = None
        for attempt in range(self.attempts + 1):
            crops = [
                sample_crop(h, w, self.scale, self.ratio, self.rng)
                for _ in range(2)
            ]
            if attempt == self.attempts:
                crops[1] = crops[0]
            flips = [bool(self.rng.random() < self.flip_prob) for _ in (0, 1)]
            boxes = [
                boxes_to_view(queries, c, self.out_size, f)
                for c, f in zip(crops, flips)
            ]
            keep = np.ones(len(queries), dtype=bool)
            for b in boxes:
                keep &= visible_fraction(b, self.out_size) >= self.min_visible
            if best is None or keep.sum() > best[3].sum():
                best = (crops, flips, boxes, keep)
            if keep.sum() >= self.min_queries:
                break
        crops, flips, boxes, keep = best
        oh, ow = self.out_size
        view_boxes = []
        for b in boxes:
            b = b[keep].copy()
            b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, ow)
            b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, oh)
            view_boxes.append(b.astype(np.float32))
        results['views'] = np.stack(
            [self._render(img, c, f) for c, f in zip(crops, flips)])
        results['view_query_boxes'] = np.stack(view_boxes).reshape(2, -1, 4)
        results['view_crops'] = np.stack(crops).astype(np.float32)
        results['view_flips'] = np.array(flips)
        results['query_index'] = np.flatnonzero(keep)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(out_size={self.out_size}, '
                f'scale={self.scale}, min_visible={self.min_visible})')
