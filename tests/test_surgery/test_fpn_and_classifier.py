# Copyright (c) mmcasp contributors. All rights reserved.
import pytest
import torch

from mmcasp.surgery import (FpnLayout, TransferError, fpn_conv_level,
                            init_classifier, map_fpn_index)

CONDINST = FpnLayout.from_cfg(
    dict(
        in_channels=[256, 512, 1024, 2048],
        start_level=1,
        add_extra_convs='on_output',
        num_outs=5))
RETINA = FpnLayout.from_cfg(
    dict(
        in_channels=[256, 512, 1024, 2048],
        start_level=1,
        add_extra_convs='on_input',
        num_outs=5))
MASK_RCNN = FpnLayout.from_cfg(
    dict(in_channels=[256, 512, 1024, 2048], num_outs=5))


def test_levels():
    assert [fpn_conv_level(CONDINST, 'lateral_convs', i)
            for i in range(3)] == [3, 4, 5]
    assert [fpn_conv_level(CONDINST, 'fpn_convs', i)
            for i in range(5)] == [3, 4, 5, 6, 7]
    assert [fpn_conv_level(MASK_RCNN, 'lateral_convs', i)
            for i in range(4)] == [2, 3, 4, 5]
    with pytest.raises(IndexError):
        fpn_conv_level(MASK_RCNN, 'fpn_convs', 4)  # P6 is a max-pool


def test_c3_lateral_goes_to_c3_in_mask_rcnn():
    assert [
        map_fpn_index(CONDINST, MASK_RCNN, 'lateral_convs', i)
        for i in range(3)
    ] == [1, 2, 3]
    assert [
        map_fpn_index(CONDINST, MASK_RCNN, 'fpn_convs', i) for i in range(5)
    ] == [1, 2, 3, None, None]


def test_extra_convs_only_between_same_modes():
    assert [
        map_fpn_index(CONDINST, CONDINST, 'fpn_convs', i) for i in range(5)
    ] == [0, 1, 2, 3, 4]
    assert [map_fpn_index(CONDINST, RETINA, 'fpn_convs', i)
            for i in range(5)] == [0, 1, 2, None, None]


def test_layout_from_module_equals_from_cfg():
    from mmdet.models.necks import FPN
    cfg = dict(
        in_channels=[8, 16, 32, 64],
        out_channels=8,
        start_level=1,
        add_extra_convs='on_output',
        num_outs=5)
    assert FpnLayout.from_module(FPN(**cfg)) == FpnLayout.from_cfg(cfg)


def test_classifier_replicate_copy_random():
    src_w = torch.randn(1, 4, 3, 3)
    src_b = torch.tensor([-1.5])
    dst_w, dst_b = torch.zeros(6, 4, 3, 3), torch.full((6, ), -4.6)
    w, b = init_classifier(src_w, src_b, dst_w, dst_b, 'replicate')
    assert w.shape == (6, 4, 3, 3)
    for c in range(6):
        assert torch.equal(w[c], src_w[0])
    assert torch.equal(b, torch.full((6, ), -1.5))
    w, b = init_classifier(src_w, src_b, dst_w, dst_b, 'random')
    assert w is dst_w and b is dst_b
    with pytest.raises(TransferError, match='copy'):
        init_classifier(src_w, src_b, dst_w, dst_b, 'copy')
    w, b = init_classifier(dst_w + 1, dst_b + 1, dst_w, dst_b, 'copy')
    assert torch.equal(w, dst_w + 1)
    with pytest.raises(TransferError, match='beyond the class'):
        init_classifier(src_w, src_b, torch.zeros(6, 5, 3, 3), dst_b,
                        'replicate')
    with pytest.raises(TransferError, match='mode'):
        init_classifier(src_w, src_b, dst_w, dst_b, 'mean')
