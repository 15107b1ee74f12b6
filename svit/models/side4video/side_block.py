"""Side4Video's side block ("AttnCBlock") in both of its forms.

Tokens are ``s (B*T, N, D)`` (video-major frames, N = h*w patches); ``cls`` is the frame's projected
backbone CLS ``(B*T, 1, D)``. Three residual branches:

* temporal conv: BN3d, 1x1x1 conv, depthwise 3x1x1 conv in time (zero padded), 1x1x1 conv, no
  nonlinearity in between;
* [CLS]-token-shift attention inside each frame: queries are the N patches (+ the shared spatial
  position embedding P), keys/values are the shifted CLS plus those patches; P never enters the
  residual stream;
* MLP ``D -> 4D -> D`` with exact GELU (not QuickGELU).

``SideBlock`` is the CLIP variant (pre-norm: BN/LN before each branch, ``nn.MultiheadAttention``
parameter layout). ``EVASideBlock`` is the EVA-E variant (post-norm: the norm after each branch,
separate q/k/v/out Linears). Both take the grid ``(h, w)`` and frame count at call time, so any
frame count and crop work.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from svit.models.side4video.clip_tower import CLIPAttention
from svit.models.side4video.layers import GeluMlp, LayerNormFp32, attention
from svit.models.side4video.token_shift import shift_cls


def to_volume(s: torch.Tensor, t: int, h: int, w: int) -> torch.Tensor:
    """``(B*T, h*w, D)`` -> ``(B, D, T, h, w)``."""
    bt, _, d = s.shape
    return s.reshape(bt // t, t, h, w, d).permute(0, 4, 1, 2, 3)


def to_tokens(v: torch.Tensor) -> torch.Tensor:
    """``(B, D, T, h, w)`` -> ``(B*T, h*w, D)``."""
    b, d, t, h, w = v.shape
    return v.permute(0, 2, 3, 4, 1).reshape(b * t, h * w, d)


class TemporalConv(nn.Sequential):
    """1x1x1 -> depthwise (3,1,1) in time -> 1x1x1, all with bias, linear."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.pw1 = nn.Conv3d(dim, hidden, 1)
        self.dw = nn.Conv3d(hidden, hidden, (3, 1, 1), padding=(1, 0, 0), groups=hidden)
        self.pw2 = nn.Conv3d(hidden, dim, 1)


class PatchQueryAttention(CLIPAttention):
    """Attention whose queries are the patch tokens only (``x[:, 1:]``) and keys/values all of ``x``.

    The parameters (and their initialisation) are the CLIP tower's, laid out as
    ``nn.MultiheadAttention`` (``in_proj_weight``/``in_proj_bias``/``out_proj``), so the original's
    weights map one to one; only the queries differ.
    """

    def __init__(self, dim: int, num_heads: int, attn_impl: str = "sdpa") -> None:
        super().__init__(dim, num_heads, attn_impl)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, b, d = self.in_proj_weight, self.in_proj_bias, self.dim
        q = F.linear(x[:, 1:], w[:d], b[:d])
        k = F.linear(x, w[d : 2 * d], b[d : 2 * d])
        v = F.linear(x, w[2 * d :], b[2 * d :])
        return self.out_proj(attention(q, k, v, self.num_heads, self.attn_impl))


class SideBlock(nn.Module):
    """CLIP-variant side block (pre-norm). ``init_depth`` is the original's hard-coded 12
    (github.com/HJYao00/Side4Video)."""

    def __init__(self, dim: int, num_heads: int, attn_impl: str = "sdpa", init_depth: int = 12) -> None:
        super().__init__()
        self.bn_1 = nn.BatchNorm3d(dim)
        self.conv = TemporalConv(dim, dim)
        self.ln_1 = LayerNormFp32(dim)
        self.attn = PatchQueryAttention(dim, num_heads, attn_impl)
        self.bn_2 = nn.BatchNorm3d(dim)
        self.mlp = GeluMlp(dim, 4 * dim)
        # The original's init: the residual output layers are scaled by (2 * 12)^-0.5 even for 24-layer towers.
        attn_std, fc_std, proj_std = dim**-0.5, (2 * dim) ** -0.5, dim**-0.5 * (2 * init_depth) ** -0.5
        nn.init.normal_(self.mlp.fc1.weight, std=fc_std)
        nn.init.normal_(self.mlp.fc2.weight, std=proj_std)
        nn.init.normal_(self.attn.in_proj_weight, std=attn_std)
        nn.init.normal_(self.attn.out_proj.weight, std=proj_std)

    def forward(
        self, s: torch.Tensor, cls: torch.Tensor, pos: torch.Tensor, t: int, hw: tuple[int, int]
    ) -> torch.Tensor:
        h, w = hw
        v = to_volume(s, t, h, w)
        s = to_tokens(v + self.conv(self.bn_1(v)))
        xt = torch.cat([shift_cls(cls, t), s + pos], dim=1)
        s = s + self.attn(self.ln_1(xt))
        return s + self.mlp(to_tokens(self.bn_2(to_volume(s, t, h, w))))


class QKVAttention(nn.Module):
    """EVA side attention: separate ``q_proj``/``k_proj``/``v_proj``/``proj`` Linears; patch queries."""

    def __init__(self, dim: int, num_heads: int, attn_impl: str = "sdpa") -> None:
        super().__init__()
        self.num_heads, self.attn_impl = num_heads, attn_impl
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = attention(self.q_proj(x[:, 1:]), self.k_proj(x), self.v_proj(x), self.num_heads, self.attn_impl)
        return self.proj(out)


class EVASideBlock(nn.Module):
    """EVA-variant side block (post-norm): ``s += BN1(conv(s))``; ``s += LN1(attn)``; ``s += BN2(mlp(s))``."""

    def __init__(self, dim: int, num_heads: int, attn_impl: str = "sdpa") -> None:
        super().__init__()
        self.conv = TemporalConv(dim, dim)
        self.bn_1 = nn.BatchNorm3d(dim)
        self.attn = QKVAttention(dim, num_heads, attn_impl)
        self.ln_1 = LayerNormFp32(dim)
        self.mlp = GeluMlp(dim, 4 * dim)
        self.bn_2 = nn.BatchNorm3d(dim)

    def forward(
        self, s: torch.Tensor, cls: torch.Tensor, pos: torch.Tensor, t: int, hw: tuple[int, int]
    ) -> torch.Tensor:
        h, w = hw
        v = to_volume(s, t, h, w)
        s = to_tokens(v + self.bn_1(self.conv(v)))
        xt = torch.cat([shift_cls(cls, t), s + pos], dim=1)
        s = s + self.ln_1(self.attn(xt))
        return s + to_tokens(self.bn_2(to_volume(self.mlp(s), t, h, w)))
