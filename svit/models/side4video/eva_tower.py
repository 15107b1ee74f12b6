"""The frozen EVA02-CLIP-bigE-14 image tower (EVA-CLIP's ``EVAVisionTransformer`` as configured for
bigE: width 1792, 64 blocks, head width 112, MLP 15360, patch 14, **post-norm** residuals, q/v biases
without a k bias, LayerNorm eps 1e-6, no rope, no sub-LN, no ``ln_pre``).

Names follow EVA-CLIP's ``visual.*`` checkpoint (``patch_embed.proj``, ``cls_token``, ``pos_embed``,
``blocks.{i}.{norm1,attn.qkv,attn.q_bias,attn.v_bias,attn.proj,norm2,mlp.fc1,mlp.fc2}``); its final
``norm``/``head`` are unused by Side4Video and not built. ``block_outputs`` yields every block's
output, like the CLIP tower, so one side network drives both.
"""
from __future__ import annotations

from typing import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from svit.models.side4video.layers import GeluMlp, LayerNormFp32, attention


class EVAAttention(nn.Module):
    """Fused bias-free qkv projection plus separate q and v biases (the k bias is zero)."""

    def __init__(self, dim: int, num_heads: int, attn_impl: str = "sdpa") -> None:
        super().__init__()
        self.num_heads, self.attn_impl = num_heads, attn_impl
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = torch.cat([self.q_bias, torch.zeros_like(self.q_bias), self.v_bias])
        q, k, v = F.linear(x, self.qkv.weight, bias).chunk(3, dim=-1)
        return self.proj(attention(q, k, v, self.num_heads, self.attn_impl))


class EVABlock(nn.Module):
    """Post-norm residual block: ``x + norm1(attn(x))`` then ``x + norm2(mlp(x))``."""

    def __init__(self, dim: int, num_heads: int, mlp_hidden: int, attn_impl: str = "sdpa") -> None:
        super().__init__()
        self.norm1 = LayerNormFp32(dim, eps=1e-6)
        self.attn = EVAAttention(dim, num_heads, attn_impl)
        self.norm2 = LayerNormFp32(dim, eps=1e-6)
        self.mlp = GeluMlp(dim, mlp_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.norm1(self.attn(x))
        return x + self.norm2(self.mlp(x))


class PatchEmbed(nn.Module):
    """Conv2d patch embedding with bias (EVA name ``patch_embed.proj``)."""

    def __init__(self, width: int, patch_size: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class EVAVisionTower(nn.Module):
    """EVA-CLIP ViT tower; tokens are batch-first ``(F, 1+N, W)``."""

    def __init__(
        self,
        width: int,
        layers: int,
        heads: int,
        patch_size: int,
        image_size: int,
        mlp_hidden: int,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        self.width, self.patch_size, self.image_size = width, patch_size, image_size
        self.grid = image_size // patch_size
        self.patch_embed = PatchEmbed(width, patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.grid**2 + 1, width))
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = nn.ModuleList(EVABlock(width, heads, mlp_hidden, attn_impl) for _ in range(layers))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x.to(self.patch_embed.proj.weight.dtype))
        cls = self.cls_token.to(x.dtype).expand(x.shape[0], -1, -1)
        return torch.cat([cls, x], dim=1) + self.pos_embed.to(x.dtype)

    def block_outputs(self, x: torch.Tensor) -> Iterator[torch.Tensor]:
        x = self.embed(x)
        for blk in self.blocks:
            x = blk(x)
            yield x
