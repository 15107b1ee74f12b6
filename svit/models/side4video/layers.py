"""Small layers shared by the Side4Video towers and side network.

``LayerNormFp32`` exists because CLIP computes every LayerNorm in float32 even when the tower runs
in fp16/bf16 (``SIDE4VIDEO.BACKBONE_DTYPE``); ``QuickGELU`` is the activation OpenAI's weights were
trained with (exact GELU would shift the numbers).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNormFp32(nn.LayerNorm):
    """LayerNorm evaluated in float32 whatever the input dtype; the output keeps the input dtype."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.float() if self.weight is not None else None
        b = self.bias.float() if self.bias is not None else None
        return F.layer_norm(x.float(), self.normalized_shape, w, b, self.eps).to(x.dtype)


class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)``, CLIP's activation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class GeluMlp(nn.Module):
    """Linear -> exact GELU -> Linear (``fc1``/``fc2``: the key names of EVA-CLIP's MLP and of the side
    network's ``D -> 4D -> D`` MLP, which is the same module)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, num_heads: int, impl: str = "sdpa"
) -> torch.Tensor:
    """Multi-head attention of batch-first ``q (B, Lq, C)`` over ``k, v (B, Lk, C)`` -> ``(B, Lq, C)``.

    ``impl="sdpa"`` uses torch's fused kernel; ``"explicit"`` writes out softmax(q k^T / sqrt(d)) v
    (kept for equivalence tests). Scale is ``head_dim ** -0.5`` in both.
    """
    b, lq, c = q.shape
    lk = k.shape[1]
    d = c // num_heads
    q = q.reshape(b, lq, num_heads, d).transpose(1, 2)
    k = k.reshape(b, lk, num_heads, d).transpose(1, 2)
    v = v.reshape(b, lk, num_heads, d).transpose(1, 2)
    if impl == "sdpa":
        out = F.scaled_dot_product_attention(q, k, v)
    elif impl == "explicit":
        attn = (q * d**-0.5) @ k.transpose(-2, -1)
        out = attn.softmax(dim=-1) @ v
    else:
        raise ValueError(f"attention impl must be 'sdpa' or 'explicit', got {impl!r}")
    return out.transpose(1, 2).reshape(b, lq, c)
