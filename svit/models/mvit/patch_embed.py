"""Patch embedding (the MViT stem): one strided Conv3d (or Conv2d for image MViT) to tokens."""
from __future__ import annotations

import torch
import torch.nn as nn


class PatchEmbed(nn.Module):
    """``forward(x (B,C,T,H,W)) -> (tokens (B, T'·H'·W', D), [T', H', W'])`` in raster order."""

    def __init__(
        self,
        dim_in: int = 3,
        dim_out: int = 96,
        kernel: tuple[int, ...] = (3, 7, 7),
        stride: tuple[int, ...] = (2, 4, 4),
        padding: tuple[int, ...] = (1, 3, 3),
        conv_2d: bool = False,
    ) -> None:
        super().__init__()
        self.conv_2d = conv_2d
        conv = nn.Conv2d if conv_2d else nn.Conv3d
        self.proj = conv(dim_in, dim_out, kernel_size=kernel, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        if self.conv_2d:
            if x.ndim == 5:  # a 2-D stem sees frames independently only for T == 1
                if x.shape[2] != 1:
                    raise ValueError(f"MVIT.PATCH_2D expects single frames, got input {tuple(x.shape)}")
                x = x[:, :, 0]
            x = self.proj(x).unsqueeze(2)
        else:
            x = self.proj(x)
        thw = [int(x.shape[2]), int(x.shape[3]), int(x.shape[4])]
        return x.flatten(2).transpose(1, 2), thw
