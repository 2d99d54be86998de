# Copyright (c) mmcasp contributors. All rights reserved.
"""Stand-in class-agnostic CondInst checkpoints whose predictions are fixed
by construction.

A briefly trained model's scores fall wherever the CPU, the thread count and
the library build put them; a test that needs labels above δ (or none at
all) must not depend on that. :func:`constant_condinst_checkpoint` builds a
config's class-agnostic CondInst, seeds its initialisation, and sets the
heads' last layers so that every location, on any image, predicts:

* objectness ``sqrt(sigmoid(logit) * sigmoid(logit)) = sigmoid(logit)``
  (``conv_cls`` and ``conv_centerness``: weights 0, bias ``logit``);
* a box reaching ``box_side`` strides from its point on each side
  (``conv_reg``: weights 0, bias ``box_side``, the head's ``norm_on_bbox``);
* a mask covering the whole image (the controller's rows for the dynamic
  mask head's last layer: weights 0, the last bias ``mask_logit``).

Nothing else of the model matters to these outputs, so they hold on every
machine. The file is an mmengine checkpoint (``meta`` with the config
text, ``state_dict``), loadable by every tool as a trained model's would
be.
"""
import torch
from mmengine.config import Config

from mmcasp.utils.build import build_model

__all__ = ['constant_condinst_checkpoint', 'PASSES', 'FAILS']

#: A logit whose objectness, sigmoid(4) = 0.982, passes any δ below 0.98.
PASSES = 4.0
#: A logit whose objectness, sigmoid(-8) = 0.0003, passes no useful δ.
FAILS = -8.0


def constant_condinst_checkpoint(config: str,
                                 path: str,
                                 logit: float = PASSES,
                                 box_side: float = 2.0,
                                 mask_logit: float = 6.0,
                                 seed: int = 0,
                                 keep_weights: bool = False) -> str:
    """Write the stand-in checkpoint of ``config`` (see the module
    docstring) to ``path`` and return ``path``.

    ``keep_weights``: only the biases are set, the seeded weights of those
    layers stay: scores ~``sigmoid(logit)`` and boxes ~``box_side`` strides
    that still differ (slightly) per location and image, for tests that
    compare two labeling runs bit for bit; the masks stay full.
    """
    cfg = Config.fromfile(config)
    torch.manual_seed(seed)
    model = build_model(cfg.model)
    head, mask_head = model.bbox_head, model.mask_head
    if not head.norm_on_bbox:
        raise ValueError(f'{config}: the stand-in boxes assume the box '
                         "head's norm_on_bbox=True")
    with torch.no_grad():
        for conv, bias in ((head.conv_cls, logit), (head.conv_centerness,
                                                    logit), (head.conv_reg,
                                                             box_side)):
            if not keep_weights:
                conv.weight.zero_()
            conv.bias.fill_(bias)
        # the dynamic mask head's last layer: its weights, then its bias,
        # in the controller's output order (weights of all layers, then
        # biases of all layers; the last layer has one output)
        start = sum(mask_head.weight_nums[:-1])
        last_weights = slice(start, start + mask_head.weight_nums[-1])
        for rows in (last_weights, slice(-1, None)):
            head.controller.weight[rows] = 0
            head.controller.bias[rows] = 0
        head.controller.bias[-1] = mask_logit
    meta = dict(  # as a Runner writes it (the transfer tool reads cfg)
        cfg=cfg.pretty_text,
        dataset_meta=dict(classes=('object', )),
        stand_in=dict(
            logit=logit,
            box_side=box_side,
            mask_logit=mask_logit,
            keep_weights=keep_weights))
    torch.save(dict(meta=meta, state_dict=model.state_dict()), path)
    return path
