"""Test-time spatial crop grids (``TEST.CROP_GRID``).

``slowfast`` (PySlowFast / SViT): the long side's offsets are ``0``, ``ceil((L - S) / 2)`` and
``L - S``, the short side centred with ``ceil``; one crop is the centre crop with ``ceil``.
``ibm`` (IBM action-recognition-pytorch ``GroupOverSample``, TSM's grid): offsets move in steps of
``(L - S) // 4``: ``0``, ``2 * step`` and ``4 * step`` on the long side, ``2 * step`` on the short
side; one crop is torchvision's ``CenterCrop`` (``round((L - S) / 2)``). The IBM list orders the
three crops left, right, centre; svit keeps its view order (0 left/top, 1 centre, 2 right/bottom),
so only the pixel offsets differ (by 1-2 px) and multi-view averages are IBM's.
"""
from __future__ import annotations

from svit.data.transforms import geometry as G
from svit.data.transforms.clip import Clip

CROP_GRIDS = ("slowfast", "ibm")


def ibm_offsets(h: int, w: int, size: int, index: int, num_crops: int) -> tuple[int, int]:
    """(y0, x0) of IBM's test crop ``index`` (svit order) of ``num_crops`` (1 or 3)."""
    if size > h or size > w:
        raise ValueError(f"crop {size} larger than frame {h}x{w}")
    if num_crops == 1:
        return int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    if num_crops != 3:
        raise ValueError(f"TEST.NUM_SPATIAL_CROPS must be 1 or 3, got {num_crops}")
    w_step, h_step = (w - size) // 4, (h - size) // 4
    along = (0, 2, 4)[index]  # svit's left/top, centre, right/bottom in IBM's steps
    if w < h:
        return along * h_step, 2 * w_step
    return 2 * h_step, along * w_step


def grid_spatial_crop(clip: Clip, size: int, index: int, num_crops: int, grid: str = "slowfast") -> Clip:
    """Test crop ``index`` of ``num_crops`` on the grid ``grid`` (see the module docstring)."""
    if grid == "slowfast":
        return G.spatial_crop(clip, size, index, num_crops)
    if grid != "ibm":
        raise ValueError(f"TEST.CROP_GRID must be one of {CROP_GRIDS}, got {grid!r}")
    y0, x0 = ibm_offsets(clip.height, clip.width, size, index, num_crops)
    return G.crop(clip, y0, x0, size, size)
