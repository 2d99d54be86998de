# Copyright (c) mmcasp contributors. All rights reserved.
"""``init_cfg=dict(type='CaSPTransfer', ...)``: transfer at model init."""
from typing import Optional, Sequence

from mmengine.logging import print_log
from mmengine.model import BaseModule

from mmcasp.registry import WEIGHT_INITIALIZERS
from .api import transfer_into_model
from .transfer import format_report

__all__ = ['CaSPTransferInit']


@WEIGHT_INITIALIZERS.register_module(name='CaSPTransfer')
class CaSPTransferInit:
    """Initialise a detector from parts of a CaSP (or any CondInst/FCOS)
    checkpoint.

    Put it on the detector::

        model = dict(init_cfg=dict(
            type='CaSPTransfer', checkpoint='work_dirs/warmup/epoch_12.pth',
            parts=['backbone', 'neck', 'head'], classifier='random'))

    mmengine runs initialisers other than ``Pretrained`` *before* the
    children's own ``init_weights``; this one therefore first runs the
    children's initialisation itself (so untransferred parts get their usual
    init, e.g. the classifier's prior bias), then loads the transferred
    parts, then marks the modules initialised. A resumed run
    (``--resume``/``load_from``) overwrites all of this as usual.

    Args:
        checkpoint (str): Source checkpoint.
        parts (Sequence[str]): Parts to transfer.
        classifier (str): The target classifier's init: ``'random'`` (its
            own init, e.g. the prior bias), ``'replicate'`` (the one-channel
            class-agnostic source classifier copied to every class; CaSP
            Sec. 3.2's second option) or ``'copy'`` (the source classifier
            as is; needs the same number of classes, e.g. a class-specific
            warmup: a 1 -> 80 transfer raises ``TransferError``).
        src_neck (dict, optional): Source FPN config, when the checkpoint
            does not carry its config.
        prefix (str, optional): Source wrapper prefix (auto by default).
    """

    def __init__(self,
                 checkpoint: str,
                 parts: Sequence[str] = ('backbone', 'neck', 'head'),
                 classifier: str = 'random',
                 src_neck: Optional[dict] = None,
                 prefix: Optional[str] = None) -> None:
        self.checkpoint = checkpoint
        self.parts = list(parts)
        self.classifier = classifier
        self.src_neck = src_neck
        self.prefix = prefix

    def __call__(self, module) -> None:
        for child in module.children():
            if hasattr(child, 'init_weights') and not getattr(
                    child, 'is_init', False):
                child.init_weights()
        state, report = transfer_into_model(
            module,
            self.checkpoint,
            parts=self.parts,
            classifier=self.classifier,
            src_neck=self.src_neck,
            prefix=self.prefix)
        module.load_state_dict(state, strict=True)
        for m in module.modules():
            if isinstance(m, BaseModule):
                m._is_init = True
        print_log(
            f'CaSPTransfer from {self.checkpoint}\n' + format_report(report),
            logger='current')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(checkpoint={self.checkpoint}, '
                f'parts={self.parts}, classifier={self.classifier})')
