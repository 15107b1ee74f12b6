"""Relative-position tables of 3D windows: the index, and resizing a table to another window.

A table has ``(2Wd-1)(2Wh-1)(2Ww-1)`` rows (one per 3D offset) and one column per head. Official
Kinetics checkpoints use 8x7x7 windows, SV-Mix runs 4x7x7 and ImageNet Swin is 2D (a 1x7x7 table
for our purposes); loading across them resizes the table bicubically, spatially per temporal
offset first, then along the temporal offsets (what SV-Mix did for 8->4; for a 2D table the
temporal step replicates it, which is the official inflation).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

Size3 = tuple[int, int, int]


def table_length(window: Size3) -> int:
    d, h, w = window
    return (2 * d - 1) * (2 * h - 1) * (2 * w - 1)


def relative_position_index(window: Size3) -> torch.Tensor:
    """``(N, N)`` int64 row of the table for each (query, key) pair of a full window, N = Wd*Wh*Ww."""
    d, h, w = window
    coords = torch.stack(torch.meshgrid(torch.arange(d), torch.arange(h), torch.arange(w), indexing="ij"))
    flat = coords.flatten(1)
    rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0)
    rel = rel + torch.tensor([d - 1, h - 1, w - 1])
    return rel[..., 0] * (2 * h - 1) * (2 * w - 1) + rel[..., 1] * (2 * w - 1) + rel[..., 2]


def infer_window(length: int, like: Size3) -> Size3 | None:
    """The window whose table has ``length`` rows: the spatial size of ``like`` if it fits, else a
    square spatial window; None when no window has that length."""
    spatial = (2 * like[1] - 1) * (2 * like[2] - 1)
    if length % spatial == 0 and (length // spatial) % 2 == 1:
        return ((length // spatial + 1) // 2, like[1], like[2])
    for td in range(1, length + 1, 2):
        if length % td:
            continue
        side = math.isqrt(length // td)
        if side * side == length // td and side % 2 == 1:
            return ((td + 1) // 2, (side + 1) // 2, (side + 1) // 2)
    return None


def resize_table(table: torch.Tensor, src: Size3, dst: Size3) -> torch.Tensor:
    """Bicubic resize of a ``(L_src, nH)`` table from window ``src`` to ``dst`` -> ``(L_dst, nH)``."""
    if tuple(src) == tuple(dst):
        return table
    n_heads = table.shape[1]
    td, th, tw = (2 * s - 1 for s in src)
    od, oh, ow = (2 * s - 1 for s in dst)
    t = table.float().t().reshape(n_heads, td, th, tw)
    if (th, tw) != (oh, ow):
        t = F.interpolate(t.reshape(1, n_heads * td, th, tw), size=(oh, ow), mode="bicubic")
        t = t.reshape(n_heads, td, oh, ow)
    if td != od:
        t = F.interpolate(t.reshape(1, n_heads, td, oh * ow), size=(od, oh * ow), mode="bicubic")
    return t.reshape(n_heads, od * oh * ow).t().contiguous().to(table.dtype)
