# Copyright (c) mmcasp contributors. All rights reserved.
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmcasp.models import (EfficientNetLite, EfficientNetLiteClassifier,
                           convert_lite0_state_dict, lite0_weights_path)
from mmcasp.utils import safe_torch_load
from tests._helpers import SHARED

COCO_IMAGES = osp.join(SHARED, 'data', 'coco-mini', 'images')
# COCO-mini images with one obvious object and its ImageNet-1k class index.
OBVIOUS = {
    '000000104455.jpg': 340,  # zebra
    '000000519208.jpg': 385,  # Indian elephant
    '000000047112.jpg': 963,  # pizza
    '000000519611.jpg': 296,  # ice bear
    '000000333956.jpg': 704,  # parking meter
    '000000360772.jpg': 861,  # toilet seat
}


@pytest.fixture(scope='module')
def classifier():
    model = EfficientNetLiteClassifier()
    return model.eval()


def test_state_dict_conversion_covers_every_key():
    src = safe_torch_load(lite0_weights_path(), 'cpu')
    backbone, head = convert_lite0_state_dict(src)
    assert len(backbone) + len(head) == len(src)
    assert set(head) == {'fc.weight', 'fc.bias'}
    model = EfficientNetLite(pretrained=None, out_indices=(6, ))
    assert set(model.state_dict()) == set(backbone)
    with pytest.raises(KeyError, match='no rule'):
        convert_lite0_state_dict({'_blocks.99._bn0.weight': torch.ones(1)})


def test_backbone_multilevel_shapes_and_weights():
    model = EfficientNetLite(out_indices=(2, 3, 4, 5))
    model.init_weights()
    src = safe_torch_load(lite0_weights_path(), 'cpu')
    assert torch.equal(model.layers[0].conv.weight, src['_conv_stem.weight'])
    assert torch.equal(model.layers[5][4].linear_conv.conv.weight,
                       src['_blocks.15._project_conv.weight'])
    outs = model(torch.rand(1, 3, 96, 128))
    assert [tuple(o.shape) for o in outs] == [(1, 24, 24, 32), (1, 40, 12, 16),
                                              (1, 112, 6, 8), (1, 320, 3, 4)]


def test_bad_arguments():
    with pytest.raises(ValueError, match='lite0'):
        EfficientNetLite(arch='b0')
    with pytest.raises(ValueError, match='pretrained'):
        EfficientNetLite(pretrained='/some/file.pth')


def test_classifier_matches_reference_forward(classifier):
    ref_pkg = pytest.importorskip(
        'efficientnet_lite_pytorch',
        reason='reference implementation efficientnet-lite-pytorch absent')
    ref = ref_pkg.EfficientNet.from_pretrained(
        'efficientnet-lite0', weights_path=lite0_weights_path()).eval()
    torch.manual_seed(0)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        ours, theirs = classifier(x), ref(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(
    not osp.isdir(COCO_IMAGES),
    reason='../shared/data/coco-mini is not present (developer data)')
def test_classifier_top1_on_real_images(classifier):
    batch = []
    for name in OBVIOUS:
        img = cv2.imread(osp.join(COCO_IMAGES, name))[..., ::-1]
        img = cv2.resize(img, (224, 224), interpolation=cv2.INTER_AREA)
        batch.append(torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1))
    x = classifier.normalize(torch.stack(batch))
    with torch.no_grad():
        top1 = classifier(x).argmax(-1).tolist()
    assert top1 == list(OBVIOUS.values())
