"""Factory of the temporal modules plugged into 2D backbones: none (TSN), TSM shift, TAM.

Backbones call ``make_temporal_module(spec, frames, channels)`` wherever the original inserts
its temporal module and get ``None`` for TSN, so one backbone class serves all three families.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn as nn
from torch import Tensor

from svit.models.cnn.tam import TAM
from svit.models.cnn.temporal_shift import temporal_shift


@dataclass(frozen=True)
class TemporalModuleSpec:
    """Which temporal module a 2D backbone inserts and its options."""

    name: str = "none"  # none | TSN | TSM | TAM
    shift_div: int = 8
    tam_dw_conv: bool = True
    tam_blending_frames: int = 3
    tam_blending_method: str = "sum"

    @property
    def kind(self) -> str:
        n = self.name.lower()
        if n in ("", "none", "tsn"):
            return "none"
        if n in ("tsm", "tam"):
            return n
        raise ValueError(f"unknown 2D temporal module {self.name!r} (none, TSN, TSM, TAM)")


class TemporalShift(nn.Module):
    """Parameter-free TSM shift of 1/shift_div channels back and 1/shift_div forward in time."""

    def __init__(self, duration: int, shift_div: int = 8) -> None:
        super().__init__()
        self.duration = duration
        self.shift_div = shift_div

    def forward(self, x: Tensor) -> Tensor:
        return temporal_shift(x, self.duration, self.shift_div)

    def extra_repr(self) -> str:
        return f"duration={self.duration}, shift_div={self.shift_div}"


def make_temporal_module(spec: TemporalModuleSpec, frames: int, channels: int) -> nn.Module | None:
    """Returns the temporal module for a point with ``frames`` frames and ``channels`` channels."""
    kind = spec.kind
    if kind == "none":
        return None
    if kind == "tsm":
        return TemporalShift(frames, spec.shift_div)
    return TAM(frames, channels, spec.tam_dw_conv, spec.tam_blending_frames, spec.tam_blending_method)
