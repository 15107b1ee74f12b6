"""Pieces the ViT-style video families (Video Swin, UniFormer, ViViT) share.

They follow timm's conventions: truncated-normal Linear weights with zero bias, unit LayerNorms,
timm ``Attention`` modules whose ``fused_attn`` flag picks SDPA or the explicit softmax(QKᵀ)V, and
block lists that optionally run under activation checkpointing.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from timm.layers import trunc_normal_
from timm.layers.attention import Attention
from torch.utils.checkpoint import checkpoint

#: Attention implementations of the families built on timm ``Attention``.
ATTN_IMPLS = ("sdpa", "explicit")


#: How ``init_vit_weights`` draws Linear weights: "trunc_normal" is timm's (and the originals')
#: trunc-normal with std 0.02 whatever the width; "fan_in" is a trunc-normal with LeCun's std
#: 1/sqrt(fan_in), cut at two stds (the drawn std is 0.88 of that), which keeps each Linear's gain close to
#: 1 at any width (0.02 is a gain of about 0.55 at width 768 but 0.16 at width 64, so a tiny model starts
#: with near-silent residual branches).
LINEAR_INITS = ("trunc_normal", "fan_in")


def check_linear_init(linear_init: str, key: str = "linear_init") -> None:
    """ValueError naming ``key`` and the choices unless ``linear_init`` is one of LINEAR_INITS."""
    if linear_init not in LINEAR_INITS:
        raise ValueError(f"{key} must be one of {LINEAR_INITS}, got {linear_init!r}")


def init_vit_weights(m: nn.Module, linear_init: str = "trunc_normal") -> None:
    """timm's ViT init for one module (use with ``model.apply``, or ``functools.partial`` for another
    ``linear_init``, see LINEAR_INITS): Linear weights trunc-normal, zero bias; LayerNorm weight 1, bias 0."""
    if isinstance(m, nn.Linear):
        if linear_init == "fan_in":
            std = m.weight.shape[1] ** -0.5
            trunc_normal_(m.weight, std=std, a=-2 * std, b=2 * std)
        else:
            check_linear_init(linear_init)
            trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def check_attn_impl(impl: str, impls: Sequence[str] = ATTN_IMPLS) -> None:
    """ValueError naming the choices unless ``impl`` is one of ``impls`` (a family's implementations)."""
    if impl not in impls:
        raise ValueError(f"attention implementation must be one of {impls}, got {impl!r}")


def set_attn_impl_of(model: nn.Module, kind: type[nn.Module], impl: str, impls: Sequence[str]) -> None:
    """Sets ``attn_impl = impl`` on every ``kind`` module of ``model`` (the families whose attention
    modules read that attribute: MViT/SViT, Video Swin), after checking it is one of ``impls``."""
    check_attn_impl(impl, impls)
    for m in model.modules():
        if isinstance(m, kind):
            m.attn_impl = impl


def set_timm_attention_impl(model: nn.Module, impl: str) -> None:
    """``sdpa`` (fused) or ``explicit`` in every timm ``Attention`` of ``model``."""
    check_attn_impl(impl)
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


class TimmBlockModel(nn.Module):
    """Base of the families that run lists of timm-style blocks (UniFormer, ViViT): the attention
    switch, the block runner and the activation-checkpointing switch, written once for both."""

    grad_checkpointing: bool = False

    def set_attn_impl(self, impl: str) -> None:
        """``sdpa`` (fused) or ``explicit`` softmax(QKᵀ)V in every timm ``Attention``."""
        set_timm_attention_impl(self, impl)

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        self.grad_checkpointing = enable

    set_activation_checkpointing = set_grad_checkpointing

    def _run(self, blocks: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
        return run_blocks(blocks, x, self.grad_checkpointing)
