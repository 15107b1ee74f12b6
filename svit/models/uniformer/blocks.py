"""UniFormer blocks: local relation aggregators (CBlock) and global self-attention (SABlock).

Both start with a depthwise 3x3x3 convolution added as a dynamic position encoding. The CBlock
replaces attention by 1x1 -> depthwise 5x5x5 -> 1x1 convolutions after BatchNorm and uses a 1x1x1
convolutional MLP; the SABlock is a standard pre-norm transformer block (LayerNorm eps 1e-6) on
the flattened T*H*W tokens (timm's Block, whose attention uses SDPA unless told otherwise).
"""
from __future__ import annotations

from functools import partial

import torch
import torch.nn as nn
from timm.layers import DropPath
from timm.models.vision_transformer import Block


class CMlp(nn.Module):
    """Pointwise (1x1x1 conv) MLP on ``(B, C, T, H, W)``."""

    def __init__(self, dim: int, hidden: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Conv3d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv3d(hidden, dim, 1)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class CBlock(nn.Module):
    """Local UniFormer block on ``(B, C, T, H, W)``."""

    def __init__(self, dim: int, mlp_ratio: float = 4.0, drop: float = 0.0, drop_path: float = 0.0) -> None:
        super().__init__()
        self.pos_embed = nn.Conv3d(dim, dim, 3, padding=1, groups=dim)
        self.norm1 = nn.BatchNorm3d(dim)
        self.conv1 = nn.Conv3d(dim, dim, 1)
        self.conv2 = nn.Conv3d(dim, dim, 1)
        self.attn = nn.Conv3d(dim, dim, 5, padding=2, groups=dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = nn.BatchNorm3d(dim)
        self.mlp = CMlp(dim, int(dim * mlp_ratio), drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.pos_embed(x)
        x = x + self.drop_path(self.conv2(self.attn(self.conv1(self.norm1(x)))))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class SABlock(Block):
    """Global UniFormer block: position conv, then a transformer block over all T*H*W tokens."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True, drop: float = 0.0,
                 attn_drop: float = 0.0, drop_path: float = 0.0) -> None:
        super().__init__(
            dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, proj_drop=drop, attn_drop=attn_drop,
            drop_path=drop_path, norm_layer=partial(nn.LayerNorm, eps=1e-6), act_layer=nn.GELU,
        )
        self.pos_embed = nn.Conv3d(dim, dim, 3, padding=1, groups=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.pos_embed(x)
        b, c, t, h, w = x.shape
        tokens = super().forward(x.flatten(2).transpose(1, 2))
        return tokens.transpose(1, 2).reshape(b, c, t, h, w)
