"""Window multi-head self-attention with a learned 3D relative-position bias (Video Swin W-MSA).

Two back ends give the same result: ``scaled_dot_product_attention`` with the bias (plus the shift
mask) as a float attention mask, and the explicit softmax(QKᵀ·scale + bias)V kept for equivalence
tests. When the window is clipped to a small map (N < full window) the first N rows and columns
of the full window's index are used, as in the original (its checkpoints were trained that way).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import trunc_normal_

from svit.models.swin.rel_pos import relative_position_index, table_length

ATTN_IMPLS = ("sdpa", "explicit")


class WindowAttention3D(nn.Module):
    """Self-attention inside ``(B*nW, N, C)`` windows with a relative-position bias per head."""

    def __init__(
        self,
        dim: int,
        window_size: tuple[int, int, int],
        num_heads: int,
        qkv_bias: bool = True,
        qk_scale: float | None = None,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        if attn_impl not in ATTN_IMPLS:
            raise ValueError(f"attn_impl must be one of {ATTN_IMPLS}, got {attn_impl!r}")
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.dim = dim
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.scale = qk_scale or (dim // num_heads) ** -0.5
        self.attn_impl = attn_impl
        self.relative_position_bias_table = nn.Parameter(torch.zeros(table_length(self.window_size), num_heads))
        # Rebuilt from the window on construction: integer buffers never come from a checkpoint.
        self.register_buffer("relative_position_index", relative_position_index(self.window_size), persistent=False)
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        trunc_normal_(self.relative_position_bias_table, std=0.02)

    def relative_bias(self, n: int) -> torch.Tensor:
        """``(nH, n, n)`` bias for windows of ``n`` tokens."""
        idx = self.relative_position_index[:n, :n].reshape(-1)
        return self.relative_position_bias_table[idx].view(n, n, -1).permute(2, 0, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` (B*nW, N, C); ``mask`` (nW, N, N) additive shift mask or None."""
        bw, n, c = x.shape
        qkv = self.qkv(x).view(bw, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        bias = self.relative_bias(n).unsqueeze(0)  # (1, nH, N, N)
        if mask is not None:
            nw = mask.shape[0]
            bias = (bias.unsqueeze(0) + mask.view(1, nw, 1, n, n)).expand(bw // nw, -1, -1, -1, -1)
            bias = bias.reshape(bw, self.num_heads, n, n)
        bias = bias.to(q.dtype)
        if self.attn_impl == "sdpa":
            drop = self.attn_drop.p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=drop, scale=self.scale)
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1) + bias
            out = self.attn_drop(attn.softmax(dim=-1)) @ v
        out = out.transpose(1, 2).reshape(bw, n, c)
        return self.proj_drop(self.proj(out))
