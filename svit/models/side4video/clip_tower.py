"""The frozen OpenAI CLIP image tower (ViT-B/32, B/16, L/14 or any size read off a weights file).

Parameter names follow OpenAI's ``visual.*`` layout (``conv1``, ``class_embedding``,
``positional_embedding``, ``ln_pre``, ``resblocks.{i}.{ln_1,attn.in_proj_*,attn.out_proj,ln_2,
mlp.c_fc,mlp.c_proj}``) so OpenAI archives and open_clip state dicts load by a prefix rename. The
unused ``ln_post``/``proj`` are not built. Blocks are pre-LN with float32 LayerNorms;
``forward`` yields every block's full token output because the side network reads all of them.

OpenAI's towers use QuickGELU, head width 64, an MLP of 4x the width and ``ln_pre``. open_clip's
other towers differ in ways their tensors do not show (exact GELU in ``ViT-B-16`` & co., head width
80/88/104 in ViT-H/g/bigG) or do (MLP ratio, no ``ln_pre`` in CLIPA), so these are arguments:
``activation`` (``quick_gelu``/``gelu``), ``heads``, ``mlp_hidden`` and ``ln_pre``.
"""
from __future__ import annotations

from typing import Iterator

import torch
import torch.nn as nn

from svit.models.side4video.layers import LayerNormFp32, QuickGELU, attention


class CLIPAttention(nn.Module):
    """``nn.MultiheadAttention``'s parameter layout (fused ``in_proj``) computed with SDPA."""

    def __init__(self, dim: int, num_heads: int, attn_impl: str = "sdpa") -> None:
        super().__init__()
        self.num_heads = num_heads
        self.attn_impl = attn_impl
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = nn.functional.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        return self.out_proj(attention(q, k, v, self.num_heads, self.attn_impl))


ACTIVATIONS = {"quick_gelu": QuickGELU, "gelu": nn.GELU}


class CLIPMlp(nn.Sequential):
    """W -> hidden -> W with QuickGELU (OpenAI) or exact GELU (open_clip's plain models); names
    ``c_fc``/``c_proj`` as in both."""

    def __init__(self, dim: int, hidden: int, activation: str = "quick_gelu") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"CLIP tower activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.c_fc = nn.Linear(dim, hidden)
        self.gelu = ACTIVATIONS[activation]()
        self.c_proj = nn.Linear(hidden, dim)


class CLIPBlock(nn.Module):
    """``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``."""

    def __init__(
        self, dim: int, num_heads: int, attn_impl: str = "sdpa", mlp_hidden: int = 0, activation: str = "quick_gelu"
    ) -> None:
        super().__init__()
        self.ln_1 = LayerNormFp32(dim)
        self.attn = CLIPAttention(dim, num_heads, attn_impl)
        self.ln_2 = LayerNormFp32(dim)
        self.mlp = CLIPMlp(dim, mlp_hidden or 4 * dim, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class CLIPVisionTower(nn.Module):
    """OpenAI CLIP ViT image tower without ``ln_post``/``proj``; tokens are batch-first ``(F, 1+N, W)``."""

    def __init__(
        self,
        width: int,
        layers: int,
        heads: int,
        patch_size: int,
        image_size: int,
        attn_impl: str = "sdpa",
        mlp_hidden: int = 0,
        activation: str = "quick_gelu",
        ln_pre: bool = True,
    ) -> None:
        super().__init__()
        self.width, self.patch_size, self.image_size = width, patch_size, image_size
        self.activation, self.has_ln_pre, self.mlp_hidden = activation, ln_pre, mlp_hidden or 4 * width
        self.grid = image_size // patch_size
        scale = width**-0.5
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(self.grid**2 + 1, width))
        self.ln_pre: nn.Module = LayerNormFp32(width) if ln_pre else nn.Identity()
        self.resblocks = nn.ModuleList(
            CLIPBlock(width, heads, attn_impl, mlp_hidden, activation) for _ in range(layers)
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Frames ``(F, 3, H, W)`` -> ``ln_pre([CLS; patches] + pos)`` of shape ``(F, 1+N, W)``."""
        x = self.conv1(x.to(self.conv1.weight.dtype)).flatten(2).transpose(1, 2)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        return self.ln_pre(x)

    def block_outputs(self, x: torch.Tensor) -> Iterator[torch.Tensor]:
        """Yields the output of every block in order (the side network consumes each one)."""
        x = self.embed(x)
        for blk in self.resblocks:
            x = blk(x)
            yield x
