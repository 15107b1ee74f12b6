"""UniFormer patch embeddings: strided Conv3d, then a LayerNorm over channels (eps 1e-5).

The stem is 3x4x4 with stride (2, 4, 4) and temporal padding 1; later stages downsample 1x2x2.
A crop that the stride does not divide would be cut silently by the convolution, so it is refused.
"""
from __future__ import annotations

import torch
import torch.nn as nn


class PatchEmbed3D(nn.Module):
    """``(B, C, T, H, W) -> (B, D, T', H/s, W/s)``."""

    def __init__(self, in_chans: int, embed_dim: int, kernel: tuple[int, int, int], stride: tuple[int, int, int],
                 padding: tuple[int, int, int]) -> None:
        super().__init__()
        self.stride = tuple(stride)
        self.proj = nn.Conv3d(in_chans, embed_dim, kernel, stride, padding)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if h % self.stride[1] or w % self.stride[2]:
            raise ValueError(
                f"UniFormer: a {h}x{w} map (input {tuple(x.shape)}) is not divisible by the patch stride "
                f"{self.stride[1]}x{self.stride[2]}; crops must be multiples of 32"
            )
        x = self.proj(x)
        return self.norm(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3).contiguous()
