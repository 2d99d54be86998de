# Copyright (c) mmcasp contributors. All rights reserved.
"""Labelers whose outputs are known by construction, for the tests about
what happens around pseudo labels (stages, records, sweeps, tools, resume)
rather than about what a trained labeler predicts.

Why: a toy labeler trained for one epoch (4 iterations at a warm-up
learning rate) still predicts its initial focal-loss prior, objectness
~sqrt(0.01 x 0.5) ~ 0.07 (0.071-0.081 measured on the toy images), just
above the tests' δ of 0.05. Whether any label passes then depends on the
CPU, the thread count and the library build, not on the code under test.

Three kinds, by what a test needs:

* ``CornerBoxLabeler`` (:data:`CORNER_LABELERS`, a module written where a
  config's ``custom_imports`` finds it, :func:`write_corner_labelers`): a
  registered labeler that trains nothing and gives every image one box, its
  top-left quarter, with a given score.
* :func:`fixed_condinst_options`: ``cfg_options`` of the class-agnostic
  CondInst (the pipeline's default labeler and warmup) that make its box
  head's outputs constants: the pipeline still trains and validates the
  detector, and its labels are known whatever it learned.
* :func:`make_confident_condinst`: an untrained CondInst checkpoint whose
  predictions pass any δ below 0.9 by a wide margin and carry full masks,
  while its boxes and scores still depend on the image (what a comparison
  of two labeling runs needs). A checkpoint whose outputs are all
  constants: tests/_standin_models.py.
"""
import math
import os.path as osp

# the score logit the fixed head layers output (cls and centerness):
# objectness sqrt(sigmoid(4) * sigmoid(4)) = sigmoid(4) ~ 0.982
FIXED_LOGIT = 4.0
FIXED_SCORE = 1 / (1 + math.exp(-FIXED_LOGIT))
# box distances in strides: a box two strides wide around each location
FIXED_DISTANCE = 1.0
# every dynamic mask parameter (see fixed_condinst_options)
FIXED_MASK_PARAM = 0.25
# the box head's output layers the options fix (``scales``: mmdet's
# learnable per-level box scales, 1.0 at init)
FIXED_LAYERS = ('conv_cls', 'conv_centerness', 'conv_reg', 'controller',
                'scales')

CORNER_LABELERS = '''\
"""A test-only labeler: one box per image, its top-left quarter."""
from mmcasp.pipeline import BaseLabeler
from mmcasp.registry import LABELERS


class CornerBoxes:
    """One box per image, its top-left quarter."""

    def __init__(self, score):
        self.score = score

    def prepare(self, entry, img):
        return img.shape[:2]

    def __call__(self, items):
        out = []
        for item in items:
            h, w = item['inputs']
            out.append([
                dict(bbox=[0, 0, w / 2, h / 2], score=self.score,
                     category_id=1)
            ])
        return out


@LABELERS.register_module()
class CornerBoxLabeler(BaseLabeler):
    method = 'corners'
    makes_masks = False
    class_specific_ok = False

    def __init__(self, score=0.5):
        self.score = score

    def describe(self, class_specific):
        return 'labeler (corner boxes)'

    def predictor(self, pipeline, record):
        return CornerBoxes(self.score)

    def info(self, pipeline, record):
        return dict(labeler='corner boxes', score=self.score)
'''
#: the module name :func:`write_corner_labelers` writes
CORNER_MODULE = 'my_labelers'


def write_corner_labelers(folder) -> str:
    """Write ``my_labelers.py`` (registers ``CornerBoxLabeler`` when a
    config's ``custom_imports`` imports it) into ``folder``; returns the
    folder, to put on ``sys.path`` / PYTHONPATH. A module of its own, not
    one of the test packages: importing it is what the tests check."""
    with open(osp.join(str(folder), CORNER_MODULE + '.py'), 'w') as f:
        f.write(CORNER_LABELERS)
    return str(folder)


def fixed_condinst_options() -> dict:
    """``cfg_options`` that make a CondInst box head's outputs constants
    (class-agnostic or mmdet's class-specific head alike):

    * ``conv_cls`` and ``conv_centerness``: weights 0, bias
      :data:`FIXED_LOGIT`: every location's objectness is
      :data:`FIXED_SCORE` (~0.98), above any δ a test uses;
    * ``conv_reg``: weights 0, bias :data:`FIXED_DISTANCE`: a box two
      strides wide around every location (clipped to the image);
    * ``controller``: weights 0, bias :data:`FIXED_MASK_PARAM`: every
      dynamic mask weight and bias is that b > 0: the hidden layers end in
      a ReLU, so the last layer's inputs are >= 0, its logit >= its bias b
      and its probability >= sigmoid(0.25) = 0.56 > ``mask_thr`` (0.5)
      everywhere, a full mask whatever the mask features are. b is small
      so that the logits do not saturate and the mask loss still trains
      the backbone, FPN and mask branch.

    Those layers (and the per-level box ``scales``) are initialised so and
    frozen by a learning rate of 0 (``lr_mult=0``: SGD then adds exactly 0
    to them; the warm-up and step schedulers scale that 0). Whatever the
    trained parts learn, every image then keeps ``max_per_image`` labels
    (boxes that depend on its size only), with full masks and score
    :data:`FIXED_SCORE`.
    """

    def const(name, bias):
        return dict(type='Constant', name=name, val=0., bias=bias)

    return {
        'model.bbox_head.init_cfg':
        dict(
            type='Normal',
            layer='Conv2d',
            std=0.01,
            override=[
                const('conv_cls', FIXED_LOGIT),
                const('conv_centerness', FIXED_LOGIT),
                const('conv_reg', FIXED_DISTANCE),
                const('controller', FIXED_MASK_PARAM)
            ]),
        'optim_wrapper.paramwise_cfg.custom_keys': {
            f'bbox_head.{name}': dict(lr_mult=0., decay_mult=0.)
            for name in FIXED_LAYERS
        },
    }


def make_confident_condinst(path: str, config: str, seed: int = 0) -> str:
    """An untrained (class-agnostic) CondInst checkpoint at ``path`` that
    labels every image while its predictions stay image-dependent
    (:func:`~tests._standin_models.constant_condinst_checkpoint` with
    ``keep_weights``): ``conv_cls`` and ``conv_centerness`` biases
    :data:`FIXED_LOGIT` with their seeded weights kept (objectness ~0.98,
    different per location and image), ``conv_reg`` bias
    :data:`FIXED_DISTANCE` (boxes about two strides wide), every mask logit
    :data:`FIXED_LOGIT` (full masks); returns ``path``."""
    from tests._standin_models import constant_condinst_checkpoint
    return constant_condinst_checkpoint(
        config,
        path,
        logit=FIXED_LOGIT,
        box_side=FIXED_DISTANCE,
        mask_logit=FIXED_LOGIT,
        seed=seed,
        keep_weights=True)
