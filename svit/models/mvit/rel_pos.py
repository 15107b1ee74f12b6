"""Decomposed relative position terms of MViTv2 (spatial h/w and temporal t), as an additive bias.

For a pooled query at grid position (t, i, j) and a key at (t', i', j') the logit gets
``q·R_h[δ(i,i')] + q·R_w[δ(j,j')] + q·R_t[δ(t,t')]`` on the patch×patch block only (CLS and extra
tokens get none). The bias is returned as a tensor so that the explicit path can add it to the
logits and the SDPA path can pass it as a float attention mask: both then compute the same thing.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def resample_rel_pos(table: torch.Tensor, length: int) -> torch.Tensor:
    """Resamples a ``(L, C)`` relative-position table to ``length`` rows (1-D linear,
    ``align_corners=False``); a single row picks the zero-offset (centre) entry."""
    if table.shape[0] == length:
        return table
    out = F.interpolate(table.t().unsqueeze(0), size=length, mode="linear")
    return out[0].t()


def rel_pos_index(n_q: int, n_k: int) -> torch.Tensor:
    """Index ``δ(a, b)`` into a table of length ``2·max(n_q, n_k) − 1`` for query a and key b.

    ``δ = floor(a·max(n_k/n_q,1) − b·max(n_q/n_k,1) + (n_k−1)·max(n_q/n_k,1))``, evaluated in
    float32 like the original so that truncation agrees on non-integer stride ratios.
    """
    q_ratio = max(n_k / n_q, 1.0)
    k_ratio = max(n_q / n_k, 1.0)
    dist = torch.arange(n_q)[:, None] * q_ratio - torch.arange(n_k)[None, :] * k_ratio
    dist += (n_k - 1) * k_ratio
    return dist.long()


def decomposed_rel_pos_bias(
    q_patch: torch.Tensor,
    q_thw: list[int],
    k_thw: list[int],
    rel_pos_h: torch.Tensor | None,
    rel_pos_w: torch.Tensor | None,
    rel_pos_t: torch.Tensor | None,
) -> torch.Tensor:
    """Bias ``(B, heads, Nq_patch, Nk_patch)`` for the patch queries ``q_patch (B, heads, Nq_patch, C)``.

    ``q_patch`` is the pooled, normalised (unscaled) query. Tables set to ``None`` are skipped.
    """
    b, n_h, _, c = q_patch.shape
    qt, qh, qw = q_thw
    kt, kh, kw = k_thw
    r_q = q_patch.reshape(b, n_h, qt, qh, qw, c)
    bias = q_patch.new_zeros((b, n_h, qt, qh, qw, kt, kh, kw))
    if rel_pos_h is not None:
        table_h = resample_rel_pos(rel_pos_h, 2 * max(qh, kh) - 1)
        table_w = resample_rel_pos(rel_pos_w, 2 * max(qw, kw) - 1)
        r_h = table_h[rel_pos_index(qh, kh).to(table_h.device)]  # (qh, kh, C)
        r_w = table_w[rel_pos_index(qw, kw).to(table_w.device)]  # (qw, kw, C)
        rel_h = torch.einsum("bythwc,hkc->bythwk", r_q, r_h.to(r_q.dtype))
        rel_w = torch.einsum("bythwc,wkc->bythwk", r_q, r_w.to(r_q.dtype))
        bias = bias + rel_h[:, :, :, :, :, None, :, None] + rel_w[:, :, :, :, :, None, None, :]
    if rel_pos_t is not None:
        table_t = resample_rel_pos(rel_pos_t, 2 * max(qt, kt) - 1)
        r_t = table_t[rel_pos_index(qt, kt).to(table_t.device)]  # (qt, kt, C)
        rel_t = torch.einsum("bythwc,tkc->bythwk", r_q, r_t.to(r_q.dtype))
        bias = bias + rel_t[:, :, :, :, :, :, None, None]
    return bias.reshape(b, n_h, qt * qh * qw, kt * kh * kw)
