"""Fixed sine-cosine absolute position embeddings (``MVIT.USE_FIXED_SINCOS_POS``), PySlowFast layout.

Why fixed: MAE-style pre-training keeps the absolute table frozen, and its checkpoints store the
table as a non-trainable ``pos_embed``. The 3-D table gives a quarter of the channels to time and
three quarters to space; the spatial part is the 2-D table (first half of its channels for the
column index, second half for the row index, the order PySlowFast's meshgrid produces); each 1-D
part is ``[sin(p * w_k), cos(p * w_k)]`` with frequencies ``w_k = 10000 ** (-k / (D / 2))``.
Rows are ordered t, h, w (w fastest); the CLS row is zero.
"""
from __future__ import annotations

import torch


def sincos_1d(dim: int, positions: torch.Tensor) -> torch.Tensor:
    """``(M, dim)``: sines then cosines of ``positions`` (float, any shape) at dim/2 frequencies."""
    if dim % 2:
        raise ValueError(f"sin-cos embedding needs an even width, got {dim}")
    freqs = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0))
    angles = positions.reshape(-1, 1).double() * freqs
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def sincos_2d(dim: int, height: int, width: int) -> torch.Tensor:
    """``(H*W, dim)`` for an ``height x width`` grid, row-major: [column code | row code]."""
    if dim % 2:
        raise ValueError(f"2-D sin-cos embedding needs an even width, got {dim}")
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    return torch.cat([sincos_1d(dim // 2, cols), sincos_1d(dim // 2, rows)], dim=1)


def sincos_3d(dim: int, t: int, h: int, w: int, cls_token: bool = False) -> torch.Tensor:
    """``(1, [1 +] T*H*W, dim)`` float32: [temporal code (dim/4) | spatial code (3*dim/4)] per token,
    a zero row first when ``cls_token``."""
    if dim % 4:
        raise ValueError(f"3-D sin-cos embedding needs a width divisible by 4, got {dim}")
    d_t, d_s = dim // 4, dim // 4 * 3
    temporal = sincos_1d(d_t, torch.arange(t)).repeat_interleave(h * w, dim=0)
    spatial = sincos_2d(d_s, h, w).repeat(t, 1)
    table = torch.cat([temporal, spatial], dim=1)
    if cls_token:
        table = torch.cat([table.new_zeros(1, dim), table], dim=0)
    return table.float().unsqueeze(0)
