"""A Video Swin stage: alternating plain/shifted window blocks, then patch merging (2x2 spatial).

The shift mask depends only on the (padded) map and the clipped window, so the stage computes it
once for all its blocks. Activation checkpointing wraps each block.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from svit.models.swin.block import SwinBlock3D
from svit.models.swin.windows import clip_window, shift_mask


class PatchMerging(nn.Module):
    """Concatenates each 2x2 spatial neighbourhood (odd sizes zero-padded), LayerNorm, 4C -> 2C."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[2:4]
        if h % 2 or w % 2:
            x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        parts = [x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 1::2]]
        return self.reduction(self.norm(torch.cat(parts, dim=-1)))


class SwinStage(nn.Module):
    """``depth`` blocks on a channels-last map ``(B, D, H, W, C)`` and an optional downsample."""

    def __init__(
        self,
        dim: int,
        depth: int,
        num_heads: int,
        window_size: tuple[int, int, int],
        drop_path: list[float],
        downsample: bool,
        **block_kwargs,
    ) -> None:
        super().__init__()
        self.window_size = tuple(window_size)
        self.shift_size = tuple(w // 2 for w in self.window_size)
        self.blocks = nn.ModuleList(
            SwinBlock3D(
                dim,
                num_heads,
                self.window_size,
                (0, 0, 0) if i % 2 == 0 else self.shift_size,
                drop_path=drop_path[i],
                **block_kwargs,
            )
            for i in range(depth)
        )
        self.downsample = PatchMerging(dim) if downsample else None
        self.grad_checkpointing = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d, h, w = x.shape[1:4]
        window, shift = clip_window((d, h, w), self.window_size, self.shift_size)
        padded = tuple(math.ceil(n / win) * win for n, win in zip((d, h, w), window))
        mask = shift_mask(padded, window, shift, x.device) if any(s > 0 for s in shift) else None
        for blk in self.blocks:
            if self.grad_checkpointing and torch.is_grad_enabled():
                x = checkpoint(blk, x, mask, use_reentrant=False)
            else:
                x = blk(x, mask)
        return self.downsample(x) if self.downsample is not None else x
