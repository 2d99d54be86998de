# Copyright (c) mmcasp contributors. All rights reserved.
from mmcasp.pipeline.labeler_health import empty_labeler_metric


def test_empty_labeler_metric():
    # a labeler whose box regression died: 0 box AP, some mask AP
    dead = {
        'agnostic/bbox_mAP': 0.0,
        'agnostic/bbox_mAP_50': 0.0,
        'agnostic/segm_mAP': 0.002
    }
    assert empty_labeler_metric(dead) == 'agnostic/bbox_mAP'
    assert empty_labeler_metric({'agnostic/bbox_mAP': 0.001}) is None
    # one box AP above 0 is enough
    assert empty_labeler_metric({
        'agnostic/bbox_mAP': 0.0,
        'coco/bbox_mAP': 0.01
    }) is None
    # not scored (a CAM labeler): nothing to say
    assert empty_labeler_metric({}) is None
