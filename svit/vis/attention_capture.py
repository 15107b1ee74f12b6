"""Reading the attention probabilities a model computes, without changing the model.

Every attention layer of the transformer families (MViT/SViT, Video Swin, UniFormer, ViViT through
timm, the Side4Video towers) calls ``torch.nn.functional.scaled_dot_product_attention`` through the
module attribute on the default ``MODEL.ATTN_IMPL "sdpa"`` path, and SDPA keeps its probabilities to
itself. ``capture_sdpa`` swaps that attribute, for the duration of a ``with`` block, for the formula
SDPA is documented to compute, ``softmax(q kᵀ · scale + mask) v``, and records the probabilities of
every call in call order. The model's modules, weights and code are untouched; outputs agree with
SDPA's to float rounding (tests/vis/test_rollout.py checks). MViT's rel-pos "sdpa" path calls SDPA
with the bias folded into augmented queries/keys (scale 1), so the recorded probabilities include the
relative-position bias exactly as the model uses it.

Models switched to ``explicit``/``flex`` are set back to SDPA for the capture by the caller
(``svit.vis.rollout.use_sdpa``).
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn.functional as F


def reference_sdpa(records: list[torch.Tensor], keep: bool = True):
    """An SDPA with the documented semantics that appends each call's probabilities (B.., Nq, Nk) to
    ``records`` (detached, float32)."""

    def sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
        if dropout_p:
            raise RuntimeError("attention capture runs the model in eval mode (dropout_p must be 0)")
        if enable_gqa and key.shape[-3] != query.shape[-3]:
            rep = query.shape[-3] // key.shape[-3]
            key, value = key.repeat_interleave(rep, -3), value.repeat_interleave(rep, -3)
        s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
        scores = (query.float() @ key.float().transpose(-2, -1)) * s
        if is_causal:
            n_q, n_k = scores.shape[-2:]
            scores = scores.masked_fill(~torch.ones(n_q, n_k, dtype=torch.bool, device=scores.device).tril(), -math.inf)
        if attn_mask is not None:
            if attn_mask.dtype == torch.bool:
                scores = scores.masked_fill(~attn_mask, -math.inf)
            else:
                scores = scores + attn_mask.float()
        probs = scores.softmax(dim=-1)
        if keep:
            records.append(probs.detach())
        return (probs @ value.float()).to(value.dtype)

    return sdpa


@contextmanager
def capture_sdpa() -> Iterator[list[torch.Tensor]]:
    """``with capture_sdpa() as maps: model(x)``: ``maps`` holds each SDPA call's probabilities."""
    records: list[torch.Tensor] = []
    original = F.scaled_dot_product_attention
    F.scaled_dot_product_attention = reference_sdpa(records)
    try:
        yield records
    finally:
        F.scaled_dot_product_attention = original
