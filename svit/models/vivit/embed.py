"""ViViT tubelet embedding: a Conv3d over 2x16x16 tubelets, tokens grouped per temporal index.

The original reshaped with a literal 16 frames and asserted the crop; here any even frame count and
any crop divisible by the patch works (an odd frame count or a crop the patch does not divide is
refused instead of being cut by the convolution).
"""
from __future__ import annotations

import torch
import torch.nn as nn


class TubeletEmbed(nn.Module):
    """``(B, C, T, H, W) -> (B*T', H'*W', D)`` with T' = T/tubelet, plus the grid ``(T', H', W')``."""

    def __init__(self, patch_size: int = 16, tubelet: int = 2, in_chans: int = 3, embed_dim: int = 384) -> None:
        super().__init__()
        self.patch_size = (tubelet, patch_size, patch_size)
        self.proj = nn.Conv3d(in_chans, embed_dim, kernel_size=self.patch_size, stride=self.patch_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int, int]]:
        if x.ndim != 5:
            raise ValueError(f"ViViT expects (B, C, T, H, W) input, got shape {tuple(x.shape)}")
        pt, ph, pw = self.patch_size
        t, h, w = x.shape[2:]
        if t % pt or h % ph or w % pw:
            raise ValueError(
                f"ViViT: input {tuple(x.shape)} needs frames divisible by the tubelet {pt} and a crop divisible "
                f"by the patch {ph}x{pw}"
            )
        x = self.proj(x)  # (B, D, T', H', W')
        b, d, tt, hh, ww = x.shape
        return x.permute(0, 2, 3, 4, 1).reshape(b * tt, hh * ww, d), (tt, hh, ww)
