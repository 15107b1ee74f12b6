"""The SV-Mix selective module φ (``MB_st`` of the original): one soft mixing logit per feature cell.

Why one module: the original instantiates a single ``MB_st`` and calls it in both modes (the paper
speaks of two modules; the code shares every weight). The module sees the target clip's features
and the source clip's features (the batch permuted by π) plus the mixing ratio λ, appended to every
token as one extra channel e = λ − 0.5 on target tokens and −e on source tokens, so the same
query projection can tell them apart and tie the mask area to λ.

* spatial mode: tokens are the H_f·W_f cells of one feature time step; target step τ attends only to
  source step τ (batched over (b, τ)), giving one logit per (τ, h, w);
* temporal mode: tokens are the T_f time steps (spatial means of the map, or ViViT's temporal-encoder
  tokens); one logit per τ, broadcast over the cells.

Logit z = softmax(q·kᵀ/√d) · v with q = W_q a, k = W_q s (one projection for both) and the scalar value
v = w_v·s. The value weight on the λ channel starts at 4 (bias 0), so at initialisation
z ≈ 4·(−e) = 2 − 4λ: the mean source weight σ(z) starts near σ(2 − 4λ).

The module always computes in float32 (autocast off): its inputs are detached backbone features,
it is tiny, and the original also took the attention product and the sigmoid in float32.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

MODES = ("spatial", "temporal")


class SelectiveModule(nn.Module):
    """φ with parameters ``query`` (Linear C+1 → d) and ``value`` (Linear C+1 → 1), original names.

    Args:
        in_channels: C, channels of the backbone feature map (read from the map by the caller).
        inter_channels: d, width of the query/key projection (C/2 for TSM-R50, C for transformers).
        lambda_weight: initial value-weight on the λ channel (4 in the original).
        lambda_offset: e = λ − lambda_offset (0.5 in the original).
        attn_impl: "sdpa" (torch's scaled_dot_product_attention) or "explicit" (softmax(qkᵀ/√d)v,
            kept for equivalence tests).
    """

    def __init__(
        self,
        in_channels: int,
        inter_channels: int,
        lambda_weight: float = 4.0,
        lambda_offset: float = 0.5,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        if in_channels <= 0 or inter_channels <= 0:
            raise ValueError(f"SelectiveModule: channels must be positive, got C={in_channels}, d={inter_channels}")
        if attn_impl not in ("sdpa", "explicit"):
            raise ValueError(f"SelectiveModule: attn_impl must be 'sdpa' or 'explicit', got {attn_impl!r}")
        self.in_channels = in_channels
        self.inter_channels = inter_channels
        self.lambda_offset = float(lambda_offset)
        self.attn_impl = attn_impl
        self.query = nn.Linear(in_channels + 1, inter_channels)
        self.value = nn.Linear(in_channels + 1, 1)
        with torch.no_grad():
            self.value.weight[0, in_channels] = float(lambda_weight)
            self.value.bias.zero_()

    def _attend(self, target: Tensor, source: Tensor, e: Tensor) -> Tensor:
        """``target``/``source`` ``(..., L, C)`` tokens → one logit per target token ``(..., L)``."""
        lam_t = e.expand(*target.shape[:-1], 1)
        a = torch.cat([target, lam_t], dim=-1)
        s = torch.cat([source, -lam_t], dim=-1)
        q, k, v = self.query(a), self.query(s), self.value(s)
        if self.attn_impl == "sdpa":
            z = F.scaled_dot_product_attention(q, k, v)
        else:
            w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
            z = torch.matmul(w.softmax(dim=-1), v)
        return z.squeeze(-1)

    def forward(
        self,
        features: Tensor,
        lam: float | Tensor,
        perm: Tensor,
        mode: str,
        temporal_tokens: Tensor | None = None,
    ) -> Tensor:
        """Mixing logits ``(B, T_f, H_f, W_f)`` (source weight = σ(logit)).

        Args:
            features: backbone map ``(B, C, T_f, H_f, W_f)`` of the clean clips.
            lam: the mixing ratio λ (scalar).
            perm: ``(B,)`` source index of every target clip.
            mode: "spatial" or "temporal".
            temporal_tokens: optional ``(B, C, T_f)`` tokens used instead of the spatial mean in the
                temporal mode (ViViT's temporal encoder).
        """
        if features.dim() != 5:
            raise ValueError(f"SelectiveModule: features must be (B, C, T_f, H_f, W_f), got {tuple(features.shape)}")
        b, c, t, h, w = features.shape
        if c != self.in_channels:
            raise ValueError(f"SelectiveModule was built for C={self.in_channels}, the feature map has C={c}")
        if mode not in MODES:
            raise ValueError(f"SelectiveModule: mode must be one of {MODES}, got {mode!r}")
        with torch.autocast(device_type=features.device.type, enabled=False):
            feats = features.float()
            e = torch.as_tensor(lam, dtype=torch.float32, device=feats.device).reshape(1) - self.lambda_offset
            if mode == "spatial":
                tokens = feats.permute(0, 2, 3, 4, 1).reshape(b, t, h * w, c)
                return self._attend(tokens, tokens[perm], e).reshape(b, t, h, w)
            if temporal_tokens is not None:
                if temporal_tokens.shape != (b, c, t):
                    raise ValueError(
                        f"SelectiveModule: temporal tokens must be (B, C, T_f)={(b, c, t)}, "
                        f"got {tuple(temporal_tokens.shape)}"
                    )
                tokens = temporal_tokens.float().transpose(1, 2)
            else:
                tokens = feats.mean(dim=(3, 4)).transpose(1, 2)  # (B, T_f, C)
            z = self._attend(tokens, tokens[perm], e)  # (B, T_f)
            return z[:, :, None, None].expand(b, t, h, w)
