"""Pieces the ViT-style video families (Video Swin, UniFormer, ViViT) share.

They follow timm's conventions: truncated-normal Linear weights with zero bias, unit LayerNorms,
timm ``Attention`` modules whose ``fused_attn`` flag picks SDPA or the explicit softmax(QKᵀ)V, and
block lists that optionally run under activation checkpointing.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from timm.layers import trunc_normal_
from timm.layers.attention import Attention
from torch.utils.checkpoint import checkpoint

#: Attention implementations of the families built on timm ``Attention``.
ATTN_IMPLS = ("sdpa", "explicit")


def init_vit_weights(m: nn.Module) -> None:
    """timm's ViT init for one module (use with ``model.apply``): Linear trunc-normal(0.02), zero bias;
    LayerNorm weight 1, bias 0."""
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def set_timm_attention_impl(model: nn.Module, impl: str) -> None:
    """``sdpa`` (fused) or ``explicit`` in every timm ``Attention`` of ``model``."""
    if impl not in ATTN_IMPLS:
        raise ValueError(f"attention implementation must be one of {ATTN_IMPLS}, got {impl!r}")
    for m in model.modules():
        if isinstance(m, Attention):
            m.fused_attn = impl == "sdpa"


def run_blocks(blocks: nn.ModuleList, x: torch.Tensor, grad_checkpointing: bool) -> torch.Tensor:
    """Applies ``blocks`` in order, each under activation checkpointing when asked and grads are on."""
    for blk in blocks:
        if grad_checkpointing and torch.is_grad_enabled():
            x = checkpoint(blk, x, use_reentrant=False)
        else:
            x = blk(x)
    return x
