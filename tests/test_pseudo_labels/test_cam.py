# Copyright (c) mmcasp contributors. All rights reserved.
import time

import cv2
import numpy as np
import pytest
import torch

from mmcasp.pseudo_labels import (CamPredictor, cam_to_boxes, component_boxes,
                                  nms_keep, normalize_cam, scale_boxes)


def test_uniform_rectangle_gives_exactly_that_rectangle():
    cam = np.zeros((18, 20), np.float32)
    cam[3:11, 4:17] = 0.7
    boxes, scores = cam_to_boxes(cam)
    assert len(boxes) == 1
    np.testing.assert_allclose(boxes[0], [4, 3, 17, 11], atol=1e-5)
    assert scores[0] == pytest.approx(1.0)


def test_two_separated_blobs_give_two_boxes():
    cam = np.zeros((18, 18), np.float32)
    cam[1:6, 1:6] = 1.0
    cam[10:16, 11:16] = 0.9  # 30 cells vs 25: above half the largest
    boxes, _ = cam_to_boxes(cam)
    boxes = sorted(boxes.tolist())
    np.testing.assert_allclose(
        boxes, [[1, 1, 6, 6], [11, 10, 16, 16]], atol=1e-4)


def test_component_under_half_the_largest_is_dropped():
    cam = np.zeros((18, 18), np.float32)
    cam[1:9, 1:9] = 1.0  # 64 cells
    cam[12:17, 12:17] = 1.0  # 25 cells < 32
    boxes, _ = component_boxes(cam, 0.5)
    np.testing.assert_allclose(boxes, [[1, 1, 9, 9]], atol=1e-4)
    cam[11:17, 11:17] = 1.0  # 36 cells >= 32: kept
    boxes, _ = component_boxes(cam, 0.5)
    assert len(boxes) == 2


def test_moment_matching_is_weighted():
    cam = np.zeros((10, 10), np.float32)
    cam[4, 2:8] = [0.5, 0.5, 1, 1, 1, 1]
    boxes, scores = component_boxes(cam, 0.2)
    # centre pulled towards the heavier right side; score = mean activation
    assert (boxes[0, 0] + boxes[0, 2]) / 2 > 5.0
    assert scores[0] == pytest.approx(5 / 6)


def test_thresholds_and_nms():
    # a peaked blob: every threshold gives a nested box; boxes with
    # IoU > 0.8 collapse, so fewer boxes than thresholds survive
    yy, xx = np.mgrid[0:40, 0:40]
    cam = np.exp(-((xx - 20)**2 + (yy - 20)**2) / (2 * 6.0**2))
    per_t = [
        len(component_boxes(normalize_cam(cam), t)[0])
        for t in (0.2, 0.3, 0.4, 0.5)
    ]
    assert per_t == [1, 1, 1, 1]
    boxes, scores = cam_to_boxes(cam, nms_iou=0.8)
    assert 1 <= len(boxes) < 4
    raw, _ = cam_to_boxes(cam, nms_iou=1.0)
    assert len(raw) == 4
    # only τ=0.5 -> one box; a higher τ gives a smaller box
    b5, _ = cam_to_boxes(cam, thresholds=(0.5, ))
    b2, _ = cam_to_boxes(cam, thresholds=(0.2, ))
    assert (b5[0, 2] - b5[0, 0]) < (b2[0, 2] - b2[0, 0])
    assert np.all(np.diff(scores) <= 0)


def test_nms_keep():
    # mmcv's nms: suppressed when IoU > threshold, highest score first
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 9.5], [20, 20, 30, 30]],
                     np.float32)
    scores = np.array([0.5, 0.9, 0.7], np.float32)
    assert nms_keep(boxes, scores, 0.8).tolist() == [1, 2]
    assert nms_keep(boxes, scores, 0.99).tolist() == [1, 2, 0]


def test_flat_and_empty_maps():
    assert len(cam_to_boxes(np.zeros((8, 8)))[0]) == 0
    assert normalize_cam(np.full((3, 3), 2.0)).max() == 0


def test_scale_boxes_clips():
    out = scale_boxes(
        np.array([[1, 2, 19, 18]], np.float32), (18, 18), (360, 540))
    np.testing.assert_allclose(out, [[30, 40, 540, 360]])


def test_postprocessing_speed_smoke():
    """Not a benchmark (see benchmarks/); guards against a 10x regression:
    the measured rate is ~1000 maps/s on one core here."""
    rng = np.random.default_rng(0)
    cams = [
        cv2.GaussianBlur(m, (5, 5), 2)
        for m in rng.random((100, 18, 18)).astype(np.float32)
    ]
    t = time.perf_counter()
    for m in cams:
        cam_to_boxes(m)
    assert 100 / (time.perf_counter() - t) > 50


def test_threshold_is_strict():
    # DAP Eq. 2: M = CAM * 1{CAM > τ}; a cell at exactly τ is background
    cam = np.zeros((10, 10), np.float32)
    cam[2:5, 2:5] = 1.0
    cam[6:9, 6:9] = 0.5
    boxes, _ = component_boxes(cam, 0.5)
    np.testing.assert_allclose(boxes, [[2, 2, 5, 5]], atol=1e-5)


class _FixedCamClassifier(torch.nn.Module):
    """One class whose CAM is ``cam_map`` whatever the image."""

    def __init__(self, cam_map: np.ndarray) -> None:
        super().__init__()
        self.register_buffer('map', torch.from_numpy(cam_map)[None, None])
        self.fc = torch.nn.Linear(1, 1, bias=True)
        with torch.no_grad():
            self.fc.weight.fill_(1.)
            self.fc.bias.zero_()

    def normalize(self, x):
        return x

    def forward_features(self, x):
        return self.map.expand(x.shape[0], -1, -1, -1)

    def cam_weights(self):
        return self.fc.weight, self.fc.bias


def test_cam_predictor_normalises_the_raw_cam():
    # a strong object (+1), a weak one (+0.2) on negative evidence (-1).
    # Raw min-max (DAP Eq. 1): the weak object is (0.2 + 1) / 2 = 0.6 > 0.5,
    # so τ = 0.5 finds both; clamping at 0 first (relu=True, mmcasp 0.1.0)
    # makes it 0.2 and only the strong one is found.
    cam_map = np.full((12, 12), -1., np.float32)
    cam_map[1:5, 1:5] = 1.0
    cam_map[7:11, 7:11] = 0.2
    item = dict(
        inputs=[torch.zeros(3, 12, 12)], entry=dict(id=1), height=12, width=12)

    def boxes(relu):
        predictor = CamPredictor(
            _FixedCamClassifier(cam_map),
            scales=(12, ),
            flip=False,
            relu=relu,
            thresholds=(0.5, ),
            class_agnostic=True)
        inst, _ = predictor([item])[0]
        return sorted(i['bbox'] for i in inst)

    np.testing.assert_allclose(
        boxes(relu=False), [[1, 1, 4, 4], [7, 7, 4, 4]], atol=1e-4)
    np.testing.assert_allclose(boxes(relu=True), [[1, 1, 4, 4]], atol=1e-4)
