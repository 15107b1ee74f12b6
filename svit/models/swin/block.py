"""One Video Swin block: (shifted) window attention and an MLP, both pre-norm and residual.

The map is zero-padded to whole windows *after* norm1 and the padded tokens take part in the
attention unmasked, as in the original; the shift is a cyclic roll by half a window on every axis
that is not clipped, and odd blocks of a stage shift.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath, Mlp

from svit.models.swin.attention import WindowAttention3D
from svit.models.swin.windows import clip_window, window_partition, window_reverse


class SwinBlock3D(nn.Module):
    """``(B, D, H, W, C) -> (B, D, H, W, C)``; the stage hands in the shift mask it computed once."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: tuple[int, int, int],
        shift_size: tuple[int, int, int],
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        self.window_size = tuple(window_size)
        self.shift_size = tuple(shift_size)
        if not all(0 <= s < w for s, w in zip(self.shift_size, self.window_size)):
            raise ValueError(f"shift {self.shift_size} must lie in [0, window {self.window_size})")
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention3D(dim, self.window_size, num_heads, qkv_bias, qk_scale, attn_drop, drop, attn_impl)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=nn.GELU, drop=drop)

    def _attention(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, d, h, w, c = x.shape
        window, shift = clip_window((d, h, w), self.window_size, self.shift_size)
        x = self.norm1(x)
        pads = [(win - n % win) % win for n, win in zip((d, h, w), window)]
        x = F.pad(x, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]))
        dp, hp, wp = x.shape[1:4]
        shifted = any(s > 0 for s in shift)
        if shifted:
            x = torch.roll(x, shifts=tuple(-s for s in shift), dims=(1, 2, 3))
        windows = self.attn(window_partition(x, window), mask if shifted else None)
        x = window_reverse(windows, window, b, dp, hp, wp)
        if shifted:
            x = torch.roll(x, shifts=shift, dims=(1, 2, 3))
        return x[:, :d, :h, :w, :]

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        x = x + self.drop_path(self._attention(x, mask))
        return x + self.drop_path(self.mlp(self.norm2(x)))
