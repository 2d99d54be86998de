# Copyright (c) mmcasp contributors. All rights reserved.
"""Transfer parts of a pretrained (warmed-up) model into a target model."""
import re
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple

import torch
from terminaltables import AsciiTable

from .fpn import FpnLayout, map_fpn_index
from .rules import (PARTS, TARGET_PART_PATTERNS, TARGET_RULES, source_part,
                    target_classifier_prefix)

__all__ = [
    'TransferError', 'CLASSIFIER_MODES', 'transfer_state_dict',
    'init_classifier', 'format_report'
]

CLASSIFIER_MODES = ('random', 'replicate', 'copy')
_NECK = re.compile(r'^neck\.(lateral_convs|fpn_convs)\.(\d+)\.(.+)$')
_SOURCE_CLASSIFIER = 'bbox_head.conv_cls.'


class TransferError(ValueError):
    """A transfer that cannot be done as asked (names the key)."""


def init_classifier(src_weight: torch.Tensor, src_bias: Optional[torch.Tensor],
                    dst_weight: torch.Tensor, dst_bias: Optional[torch.Tensor],
                    mode: str) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Classifier of the target from the (class-agnostic) source one.

    Args:
        src_weight: (C_src, C_in, k, k) source classifier conv weight
            (C_src = 1 for a class-agnostic source).
        src_bias: (C_src, ) or ``None``.
        dst_weight: (C_dst, C_in, k, k) target weight as initialised.
        dst_bias: (C_dst, ) or ``None``.
        mode: ``'random'`` keeps the target's own initialisation;
            ``'replicate'`` copies the single source channel (weight and
            bias) to every target channel (every class, every anchor);
            ``'copy'`` takes the source as is (same number of classes).

    Returns:
        tuple: (weight, bias) for the target.
    """
    if mode not in CLASSIFIER_MODES:
        raise TransferError(f'classifier mode must be one of '
                            f'{CLASSIFIER_MODES}, got {mode!r}')
    if mode == 'random':
        return dst_weight, dst_bias
    if src_weight.shape[1:] != dst_weight.shape[1:]:
        raise TransferError(
            f'classifier: source weight {tuple(src_weight.shape)} and target '
            f'{tuple(dst_weight.shape)} differ beyond the class dimension')
    if mode == 'copy':
        if src_weight.shape != dst_weight.shape:
            raise TransferError(
                f'classifier copy: source {tuple(src_weight.shape)} vs '
                f'target {tuple(dst_weight.shape)}; use replicate or random')
        return src_weight.clone(), None if src_bias is None else \
            src_bias.clone()
    if src_weight.shape[0] != 1:
        raise TransferError('classifier replicate needs a one-channel '
                            f'(class-agnostic) source, got '
                            f'{src_weight.shape[0]} channels')
    n = dst_weight.shape[0]
    weight = src_weight.expand(n, *src_weight.shape[1:]).clone()
    bias = None
    if dst_bias is not None:
        if src_bias is None:
            raise TransferError('classifier replicate: source has no bias')
        bias = src_bias.expand(n).clone()
    return weight, bias


def _target_part(key: str, kind: str) -> str:
    """Part of a target key in the report: the class-dependent last layers
    (one-stage classification conv; two-stage ``fc_cls``, ``fc_reg``,
    ``conv_logits``) are ``classifier``, keys outside every part
    ``other``."""
    cls_prefix = target_classifier_prefix(kind)
    if cls_prefix and key.startswith(cls_prefix):
        return 'classifier'
    for part, pattern in TARGET_PART_PATTERNS:
        if pattern.match(key):
            return part
    return 'other'


def _absent_from_source(src_state: Dict[str, torch.Tensor],
                        parts: Sequence[str]) -> list:
    """Requested parts of which the source holds no key at all."""
    present = {source_part(k) for k in src_state}
    return [p for p in parts if p not in present]


def transfer_state_dict(
    src_state: Dict[str, torch.Tensor],
    dst_state: Dict[str, torch.Tensor],
    kind: str,
    parts: Sequence[str] = ('backbone', 'neck', 'head'),
    classifier: str = 'random',
    src_fpn: Optional[FpnLayout] = None,
    dst_fpn: Optional[FpnLayout] = None,
) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Build the target state dict from the source's requested parts.

    Args:
        src_state: Source state dict (wrapper prefixes already stripped).
        dst_state: The target model's freshly initialised state dict; keys
            not transferred keep these values.
        kind: Target kind (see :data:`~mmcasp.surgery.rules.TARGET_RULES`).
        parts: Parts to transfer (see :data:`~mmcasp.surgery.rules.PARTS`:
            backbone, neck, head, mask_head, rpn_head, roi_head,
            roi_mask_head). The classifier is controlled by ``classifier``.
            A requested part of which the source has no key loads nothing
            and is listed in the report's ``absent_from_source``.
        classifier: ``'random'`` (default: the target's own init),
            ``'replicate'`` (the one-channel class-agnostic source
            classifier to every class, and anchor) or ``'copy'`` (the
            source classifier unchanged; same number of classes only, a
            1 -> N transfer raises). See :func:`init_classifier`.
        src_fpn: Source FPN layout; needed when ``'neck'`` is transferred.
        dst_fpn: Target FPN layout; needed when ``'neck'`` is transferred.

    Returns:
        tuple: ``(state, report)``. ``report`` is JSON-serialisable: per
        part ``requested``, ``loaded`` (target keys), ``kept_fresh`` (target
        keys of that part left as initialised) and ``unmapped_source``
        (source keys of a requested part with no counterpart); plus
        ``other_kept_fresh`` (target keys outside every part),
        ``absent_from_source`` (requested parts of which the source holds
        no key), ``missing`` (every target key not loaded) and
        ``unexpected`` (every source key not used). The target's
        class-dependent last layers are the ``classifier`` part's
        ``kept_fresh`` unless the classifier is initialised.

    Raises:
        TransferError: Unknown target kind or part, a part the target cannot
            receive, a missing FPN layout, or a shape mismatch inside a
            requested part (the message names the key and both shapes).
    """
    if kind not in TARGET_RULES:
        raise TransferError(f'unknown target kind {kind!r}; supported: '
                            f'{sorted(TARGET_RULES)}')
    rules = TARGET_RULES[kind]
    parts = list(dict.fromkeys(parts))
    if 'classifier' in parts:
        raise TransferError('choose the classifier init with classifier='
                            'random|replicate|copy, not in parts')
    for part in parts:
        if part not in PARTS:
            raise TransferError(f'unknown part {part!r}; parts: {PARTS}')
        if part not in rules:
            raise TransferError(
                f'target {kind} cannot receive part {part!r}; it can '
                f'receive {[p for p in rules if p != "classifier"]}')
    if classifier not in CLASSIFIER_MODES:
        raise TransferError(f'classifier mode must be one of '
                            f'{CLASSIFIER_MODES}, got {classifier!r}')
    if classifier != 'random' and 'classifier' not in rules:
        raise TransferError(f'target {kind} has no classifier to initialise '
                            'from the source')
    if 'neck' in parts and (src_fpn is None or dst_fpn is None):
        raise TransferError('transferring the neck needs src_fpn and '
                            'dst_fpn (FpnLayout) to match pyramid levels')

    state = OrderedDict((k, v.clone()) for k, v in dst_state.items())
    loaded: Dict[str, list] = {p: [] for p in PARTS}
    unmapped: Dict[str, list] = {p: [] for p in PARTS}
    used = set()
    for key, value in src_state.items():
        part = source_part(key)
        if part not in parts:
            continue
        dst_key = rules[part](key)
        if dst_key is not None and part == 'neck':
            m = _NECK.match(dst_key)
            if m:
                idx = map_fpn_index(src_fpn, dst_fpn, m.group(1),
                                    int(m.group(2)))
                dst_key = None if idx is None else \
                    f'neck.{m.group(1)}.{idx}.{m.group(3)}'
        if dst_key is None or dst_key not in state:
            unmapped[part].append(key)
            continue
        if tuple(value.shape) != tuple(state[dst_key].shape):
            raise TransferError(
                f'{part}: source {key} has shape {tuple(value.shape)} but '
                f'target {dst_key} has {tuple(state[dst_key].shape)}')
        state[dst_key] = value.detach().clone().to(state[dst_key].dtype)
        loaded[part].append(dst_key)
        used.add(key)

    if classifier != 'random':
        dst_prefix = target_classifier_prefix(kind)
        src_w = src_state.get(_SOURCE_CLASSIFIER + 'weight')
        if src_w is None:
            raise TransferError(
                f'the source has no {_SOURCE_CLASSIFIER}weight')
        src_b = src_state.get(_SOURCE_CLASSIFIER + 'bias')
        w, b = init_classifier(src_w, src_b, state[dst_prefix + 'weight'],
                               state.get(dst_prefix + 'bias'), classifier)
        state[dst_prefix + 'weight'] = w
        loaded['classifier'].append(dst_prefix + 'weight')
        used.add(_SOURCE_CLASSIFIER + 'weight')
        if b is not None:
            state[dst_prefix + 'bias'] = b
            loaded['classifier'].append(dst_prefix + 'bias')
            used.add(_SOURCE_CLASSIFIER + 'bias')

    all_loaded = {k for keys in loaded.values() for k in keys}
    fresh: Dict[str, list] = {p: [] for p in PARTS + ('other', )}
    for key in dst_state:
        if key not in all_loaded:
            fresh[_target_part(key, kind)].append(key)
    requested = set(parts) | ({'classifier'}
                              if classifier != 'random' else set())
    report = dict(
        target_kind=kind,
        classifier=classifier,
        parts={
            p:
            dict(
                requested=p in requested,
                loaded=loaded[p],
                kept_fresh=fresh[p],
                unmapped_source=unmapped[p])
            for p in PARTS
        },
        other_kept_fresh=fresh['other'],
        absent_from_source=_absent_from_source(src_state, parts),
        missing=[k for k in dst_state if k not in all_loaded],
        unexpected=[k for k in src_state if k not in used])
    return state, report


def format_report(report: dict) -> str:
    """The report as a table (one row per part)."""
    rows = [['part', 'requested', 'loaded', 'kept fresh', 'unmapped source']]
    for part, r in report['parts'].items():
        rows.append([
            part, 'yes' if r['requested'] else 'no',
            len(r['loaded']),
            len(r['kept_fresh']),
            len(r['unmapped_source'])
        ])
    rows.append(['other', 'no', 0, len(report['other_kept_fresh']), 0])
    title = (f" transfer into {report['target_kind']} "
             f"(classifier: {report['classifier']}) ")
    table = AsciiTable(rows, title).table
    text = (f'{table}\nmissing (target keys not loaded): '
            f"{len(report['missing'])}; unexpected (source keys not used): "
            f"{len(report['unexpected'])}")
    absent = report.get('absent_from_source')
    if absent:
        text += ('\nrequested but absent from the source (nothing loaded): '
                 f"{', '.join(absent)}")
    return text
