# Copyright (c) mmcasp contributors. All rights reserved.
"""PreDet: detection pretext pretraining with two views of an image."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModel
from torch import Tensor

from mmcasp.registry import MODELS
from ..losses import khot_softmax_cross_entropy

__all__ = ['PreDet']

LOSS_TERMS = ('crpn', 'infonce', 'croi_reg', 'cls')
CLS_LOSSES = ('softmax_khot', 'bce')
QUERY_SAMPLING = ('random', 'topk')


@MODELS.register_module()
class PreDet(BaseModel):
    """Backbone + FPN pretrained with PreDet's pretext tasks.

    Both views (B, 2, 3, h, w) go through the same backbone and neck in one
    batch. Query boxes (``data_sample.query_boxes`` (2, Q, 4)) are
    RoI-aligned on view 2's FPN; the contrastive RPN scores view 1's
    anchors against them and proposes boxes; the contrastive RoI head
    contrasts those proposals (RoI-aligned on view 1) with the queries. With
    ``num_classes`` > 0 and ``data_sample.image_labels``, a multi-label
    classifier (global average pooling + one linear layer shared by all FPN
    levels of view 1) adds a classification loss averaged over the levels
    (paper Sec. 3.1). ``losses`` switches each term on or
    off (the paper's Table 1 ablation); with the CRPN loss off, proposals
    still come from the (then untrained) CRPN. Only ``mode='loss'`` and
    ``mode='tensor'`` (view 1's FPN features) exist: nothing is predicted,
    the backbone and neck are what transfers (see ``docs/predet.md``).

    Query boxes: ``data_sample.query_boxes`` holds a *pool* of unsupervised
    proposals, best first (those visible in both views). In every ``loss``
    call, each image's queries are ``num_queries`` boxes drawn at random,
    without replacement, from the first ``pool_size`` of its pool (paper
    Sec. 4.1: "We randomly sample 16 EdgeBoxes per image to construct
    queries"), with torch's global RNG, so a run is reproducible under
    ``torch.manual_seed`` / mmengine's ``randomness.seed`` and an image
    gets different queries in different iterations. The paper gives no pool
    size; the configs use 100 (``docs/predet.md``).

    Args:
        backbone, neck: mmdet configs (the neck's output is the FPN).
        rpn_head: :class:`~mmcasp.models.ContrastiveRPNHead` config.
        roi_head: :class:`~mmcasp.models.ContrastiveRoIHead` config.
        roi_extractor: mmdet ``SingleRoIExtractor`` config for queries and
            proposals.
        num_classes: Image-level classes (0: no classification loss).
        loss_cls_weight: Weight of the classification loss.
        cls_loss: ``'softmax_khot'`` (default, the paper's: softmax
            cross-entropy against k-hot targets normalised to sum 1,
            :func:`~mmcasp.models.losses.khot_softmax_cross_entropy`) or
            ``'bce'`` (per-class sigmoid BCE, what mmcasp used before: kept
            because it also trains images without any label (all-zero
            targets) and does not make classes compete, which suits
            exhaustive rather than hashtag-like labels).
        num_queries: Queries per image and iteration (paper: 16); ``None``:
            the whole pool.
        pool_size: The queries are drawn from this many best proposals of
            the image's pool (``None``: all it holds).
        query_sampling: ``'random'`` (default, the paper's, see above) or
            ``'topk'`` (the first ``num_queries`` of the pool every time,
            deterministic; with a pool of ``num_queries`` boxes this is
            mmcasp's behaviour before, kept for ablations and debugging).
        losses: Which of ``crpn``, ``infonce``, ``croi_reg``, ``cls`` to
            compute (default all).
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 rpn_head: ConfigType,
                 roi_head: ConfigType,
                 roi_extractor: ConfigType,
                 num_classes: int = 0,
                 loss_cls_weight: float = 1.,
                 cls_loss: str = 'softmax_khot',
                 num_queries: Optional[int] = 16,
                 pool_size: Optional[int] = None,
                 query_sampling: str = 'random',
                 losses: Optional[Dict[str, bool]] = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='TwoViewDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.rpn_head = MODELS.build(rpn_head)
        self.roi_head = MODELS.build(roi_head)
        self.roi_extractor = MODELS.build(roi_extractor)
        self.num_classes = num_classes
        self.loss_cls_weight = loss_cls_weight
        if cls_loss not in CLS_LOSSES:
            raise ValueError(f'cls_loss must be one of {CLS_LOSSES}, '
                             f'got {cls_loss!r}')
        if query_sampling not in QUERY_SAMPLING:
            raise ValueError(f'query_sampling must be one of '
                             f'{QUERY_SAMPLING}, got {query_sampling!r}')
        self.cls_loss = cls_loss
        self.num_queries = num_queries
        self.pool_size = pool_size
        self.query_sampling = query_sampling
        self.cls_fc = nn.Linear(neck['out_channels'],
                                num_classes) if num_classes > 0 else None
        losses = dict(losses or {})
        unknown = set(losses) - set(LOSS_TERMS)
        if unknown:
            raise ValueError(f'unknown loss terms {sorted(unknown)}; '
                             f'known: {LOSS_TERMS}')
        self.losses = {k: bool(losses.get(k, True)) for k in LOSS_TERMS}

    def extract_feat(self, img: Tensor) -> tuple:
        """(N, 3, h, w) -> FPN levels."""
        return self.neck(self.backbone(img))

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[DetDataSample]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], tuple]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs[:, 0] if inputs.dim() ==
                                     5 else inputs)
        raise RuntimeError(f'PreDet has no {mode!r} mode: it pretrains a '
                           'backbone and neck (use mode="loss" or "tensor")')

    def _cls_loss(self, feats: tuple,
                  data_samples: List[DetDataSample]) -> Optional[Tensor]:
        has = [i for i, s in enumerate(data_samples) if 'image_labels' in s]
        if self.cls_fc is None or not has:
            return None
        labels = torch.stack([data_samples[i].image_labels for i in has])
        idx = torch.as_tensor(has, device=feats[0].device)
        if self.cls_loss == 'bce':
            loss_fn = F.binary_cross_entropy_with_logits
        else:
            loss_fn = khot_softmax_cross_entropy
        losses = [
            loss_fn(self.cls_fc(f[idx].mean((2, 3))), labels) for f in feats
        ]
        return sum(losses) / len(losses) * self.loss_cls_weight

    def sample_queries(self,
                       data_samples: List[DetDataSample]) -> List[Tensor]:
        """Per image, the (2, Q, 4) query boxes of this iteration (views 1
        and 2), drawn from ``data_sample.query_boxes`` as the class
        docstring describes. Random draws use torch's global (CPU) RNG."""
        out = []
        for s in data_samples:
            pool = s.query_boxes
            if self.pool_size is not None:
                pool = pool[:, :self.pool_size]
            n = pool.shape[1]
            k = n if self.num_queries is None else min(self.num_queries, n)
            if self.query_sampling == 'random' and k < n:
                idx = torch.randperm(n)[:k].sort().values
                pool = pool[:, idx.to(pool.device)]
            else:
                pool = pool[:, :k]
            out.append(pool)
        return out

    def loss(self, inputs: Tensor,
             data_samples: List[DetDataSample]) -> Dict[str, Tensor]:
        """Losses of a batch of view pairs (B, 2, 3, h, w)."""
        b = inputs.shape[0]
        feats = self.extract_feat(inputs.transpose(0, 1).flatten(0, 1))
        f1 = tuple(f[:b] for f in feats)
        f2 = tuple(f[b:] for f in feats)
        queries = self.sample_queries(data_samples)
        q1 = [q[0] for q in queries]
        q2 = [q[1] for q in queries]
        n_in = self.roi_extractor.num_inputs
        query_feats = self.roi_extractor(f2[:n_in], bbox2roi(q2))
        losses = {}
        zero = sum(f.sum() for f in feats) * 0.

        img_shape = tuple(inputs.shape[-2:])
        anchors, level_sizes = self.rpn_head.anchors(f1)
        per_image = self.rpn_head(f1, query_feats, [len(q) for q in q1])
        if self.losses['crpn']:
            cls_l, reg_l = zip(*[
                self.rpn_head.loss(s, d, anchors, q)
                for (s, d), q in zip(per_image, q1)
            ])
            losses['loss_crpn_cls'] = sum(cls_l) / b
            losses['loss_crpn_reg'] = sum(reg_l) / b
        if self.losses['infonce'] or self.losses['croi_reg']:
            props = [
                self.rpn_head.proposals(s, d, anchors, level_sizes, img_shape)
                for s, d in per_image
            ]
            boxes = [torch.cat([p, q]) for p, q in zip(props, q1)]
            box_feats = self.roi_extractor(f1[:n_in], bbox2roi(boxes))
            nce, reg = self.roi_head.loss(box_feats, boxes,
                                          [len(p) for p in props], query_feats,
                                          q1)
            if self.losses['infonce']:
                losses['loss_infonce'] = nce
            if self.losses['croi_reg']:
                losses['loss_croi_reg'] = reg
        if self.losses['cls']:
            cls = self._cls_loss(f1, data_samples)
            if cls is not None:
                losses['loss_cls'] = cls
        if not losses:
            losses['loss_zero'] = zero
        return losses
