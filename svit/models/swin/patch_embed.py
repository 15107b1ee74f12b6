"""Video Swin patch embedding: a strided Conv3d over (t, h, w) patches, then LayerNorm.

Frame counts that are not a multiple of the temporal patch are zero-padded at the end (the
original does the same); a crop that is not a multiple of the spatial patch is refused, since a
silently padded border changes every window downstream.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchEmbed3D(nn.Module):
    """``(B, C, T, H, W) -> (B, T/pt, H/ph, W/pw, D)`` channels-last tokens."""

    def __init__(self, patch_size: tuple[int, int, int], in_chans: int, embed_dim: int, patch_norm: bool) -> None:
        super().__init__()
        self.patch_size = tuple(patch_size)
        self.proj = nn.Conv3d(in_chans, embed_dim, kernel_size=self.patch_size, stride=self.patch_size)
        self.norm = nn.LayerNorm(embed_dim) if patch_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5:
            raise ValueError(f"Video Swin expects (B, C, T, H, W) input, got shape {tuple(x.shape)}")
        pt, ph, pw = self.patch_size
        t, h, w = x.shape[2:]
        if h % ph or w % pw:
            raise ValueError(
                f"Video Swin: crop {h}x{w} of input {tuple(x.shape)} is not divisible by the patch {ph}x{pw}"
            )
        if t % pt:
            x = F.pad(x, (0, 0, 0, 0, 0, pt - t % pt))
        x = self.proj(x).permute(0, 2, 3, 4, 1)
        return self.norm(x) if self.norm is not None else x
