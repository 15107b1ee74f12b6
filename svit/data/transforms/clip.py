"""The object the transforms pass along: frames + boxes + mask + label.

``frames`` is ``(T, C, H, W)`` (uint8 before ``ToFloat``, float32 after), RGB. ``boxes`` are
``(T, O, 4)`` x1y1x2y2 **in pixels of the current frames**, so every geometric op only has to map
coordinates the way it maps pixels; they are normalised once at the very end (``FinaliseBoxes``).
A slot with ``mask`` False is missing and its box is kept at zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch


@dataclass
class Clip:
    frames: torch.Tensor
    boxes: torch.Tensor
    mask: torch.Tensor
    label: int

    @property
    def height(self) -> int:
        return int(self.frames.shape[-2])

    @property
    def width(self) -> int:
        return int(self.frames.shape[-1])

    def evolve(self, **changes) -> "Clip":
        """A copy with some fields replaced."""
        return replace(self, **changes)


def clip_boxes(
    boxes: torch.Tensor, mask: torch.Tensor, width: float, height: float, min_keep: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips boxes to ``[0,W]x[0,H]``; a box whose clipped area is zero, or below ``min_keep`` of its
    unclipped area, becomes missing. Missing boxes are zeroed."""
    area = (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(min=0)
    out = boxes.clone()
    out[..., 0::2] = out[..., 0::2].clamp(0, width)
    out[..., 1::2] = out[..., 1::2].clamp(0, height)
    new_area = (out[..., 2] - out[..., 0]).clamp(min=0) * (out[..., 3] - out[..., 1]).clamp(min=0)
    keep = mask & (new_area > 0) & (new_area >= min_keep * area)
    out[~keep] = 0
    return out, keep
