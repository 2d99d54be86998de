# Copyright (c) mmcasp contributors. All rights reserved.
"""Match FPN convolutions by pyramid level, not by list index."""
from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

__all__ = ['FpnLayout', 'fpn_conv_level', 'map_fpn_index']


@dataclass(frozen=True)
class FpnLayout:
    """What each of mmdet's ``FPN`` convolutions looks at.

    Args:
        start_level: Index of the first backbone output used.
        num_ins: Number of backbone outputs (``len(in_channels)``).
        num_outs: Number of pyramid outputs.
        add_extra_convs: mmdet's mode (``False``, ``'on_input'``,
            ``'on_lateral'``, ``'on_output'``).
        first_level: Pyramid level of backbone output 0 (2 for C2, the
            mmdet ResNet/Swin/EfficientNet-Lite layouts in mmcasp).
    """
    start_level: int
    num_ins: int
    num_outs: int
    add_extra_convs: Union[bool, str] = False
    first_level: int = 2
    end_level: int = -1

    @property
    def num_laterals(self) -> int:
        end = self.num_ins if self.end_level == -1 else self.end_level + 1
        return end - self.start_level

    @property
    def num_extra_convs(self) -> int:
        if not self.add_extra_convs:
            return 0
        return self.num_outs - self.num_laterals

    @classmethod
    def from_cfg(cls, neck: Dict[str, Any], first_level: int = 2):
        """From an ``FPN`` config dict."""
        extra = neck.get('add_extra_convs', False)
        if extra is True:
            extra = 'on_input'
        return cls(
            start_level=neck.get('start_level', 0),
            num_ins=len(neck['in_channels']),
            num_outs=neck['num_outs'],
            add_extra_convs=extra,
            first_level=first_level,
            end_level=neck.get('end_level', -1))

    @classmethod
    def from_module(cls, fpn, first_level: int = 2):
        """From a built mmdet ``FPN``."""
        end = fpn.backbone_end_level - 1
        return cls(
            start_level=fpn.start_level,
            num_ins=fpn.num_ins,
            num_outs=fpn.num_outs,
            add_extra_convs=fpn.add_extra_convs,
            first_level=first_level,
            end_level=-1 if fpn.backbone_end_level == fpn.num_ins else end)


def fpn_conv_level(layout: FpnLayout, kind: str, index: int) -> int:
    """Pyramid level (3 for P3/C3, ...) of ``lateral_convs[index]`` or
    ``fpn_convs[index]``."""
    base = layout.first_level + layout.start_level
    if kind == 'lateral_convs':
        if not 0 <= index < layout.num_laterals:
            raise IndexError(f'lateral conv {index} does not exist')
        return base + index
    if not 0 <= index < layout.num_laterals + layout.num_extra_convs:
        raise IndexError(f'fpn conv {index} does not exist')
    return base + index  # extra convs continue the pyramid (P6, P7)


def map_fpn_index(src: FpnLayout, dst: FpnLayout, kind: str,
                  index: int) -> Optional[int]:
    """Index of the target conv at the same pyramid level, or ``None``.

    Extra convolutions (P6/P7 of RetinaNet, FCOS, CondInst) only correspond
    when both necks build them the same way (same ``add_extra_convs``): an
    ``on_input`` P6 conv reads C5, an ``on_output`` one reads P5.
    """
    level = fpn_conv_level(src, kind, index)
    src_extra = kind == 'fpn_convs' and index >= src.num_laterals
    dst_index = level - dst.first_level - dst.start_level
    if kind == 'lateral_convs':
        return dst_index if 0 <= dst_index < dst.num_laterals else None
    dst_extra = dst_index >= dst.num_laterals
    if not 0 <= dst_index < dst.num_laterals + dst.num_extra_convs:
        return None
    if src_extra or dst_extra:
        if not (src_extra and dst_extra
                and src.add_extra_convs == dst.add_extra_convs):
            return None
    return dst_index
