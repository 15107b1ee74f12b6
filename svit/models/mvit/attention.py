"""Multiscale pooling attention of MViTv2 (pool q/k/v on the grid, decomposed relative positions,
residual pooling), with numerically equivalent back ends (``attn_impl``):

* ``sdpa`` (default): ``scaled_dot_product_attention`` on queries/keys augmented with the
  relative-position terms (``rel_pos_qk_augment``), so the fused kernels run without any mask and the
  ``Nq x Nk`` bias is never built (it was the largest activation of a training step);
* ``flex``: FlexAttention with the bias added inside the kernel by a ``score_mod`` (torch >= 2.5;
  meant for ``torch.compile``, eager runs a slow reference);
* ``sdpa_mask``: SDPA with the full bias as a float mask, and ``explicit``: softmax(QKᵀ+bias)V — the
  references the equivalence tests compare against.

Parameter names (qkv or q/k/v, proj, pool_{q,k,v}, norm_{q,k,v}, rel_pos_{h,w,t}) and shapes follow
PySlowFast so that released checkpoints load strictly.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import trunc_normal_
from torch.nn.modules.utils import _triple

from svit.models.layers.depthwise import DepthwiseConv3d
from svit.models.mvit.pooling import attention_pool
from svit.models.mvit.rel_pos import (
    cached_constant,
    decomposed_rel_pos_bias,
    gathered_rel_pos_terms,
    rel_pos_qk_augment,
)

ATTN_IMPLS = ("sdpa", "sdpa_mask", "explicit", "flex")


def _all_but_first(n: int, device, dtype) -> torch.Tensor:
    """``(n, 1)`` column of ones with a zero first row, built once per shape and device."""

    def make() -> torch.Tensor:
        m = torch.ones(n, 1, device=device, dtype=dtype)
        m[0] = 0
        return m

    return cached_constant(("all_but_first", n, str(device), dtype), make)


class PaddedAvgPool3d(nn.AvgPool3d):
    """AvgPool3d (zeros counted, as the default ``count_include_pad``) that pads explicitly first,
    so grids smaller than the kernel (e.g. one temporal slice) work; identical results otherwise."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p_t, p_h, p_w = _triple(self.padding)
        x = F.pad(x, (p_w, p_w, p_h, p_h, p_t, p_t))
        return F.avg_pool3d(x, self.kernel_size, self.stride, 0, self.ceil_mode)


def _build_pool(
    mode: str, dim_conv: int, kernel: list[int], stride: list[int], norm_layer
) -> tuple[nn.Module | None, nn.Module | None]:
    """Pooling operator and its LayerNorm (conv modes only); ``None`` when kernel and stride are 1."""
    if not kernel or (math.prod(kernel) == 1 and math.prod(stride) == 1):
        return None, None
    padding = [k // 2 for k in kernel]
    if mode in ("avg", "max"):
        op = nn.MaxPool3d if mode == "max" else PaddedAvgPool3d
        return op(kernel, stride, padding, ceil_mode=False), None
    if mode in ("conv", "conv_unshared"):
        conv = DepthwiseConv3d(
            dim_conv, dim_conv, kernel, stride=stride, padding=padding, groups=dim_conv, bias=False
        )
        return conv, norm_layer(dim_conv)
    raise ValueError(f"MVIT.MODE must be conv, conv_unshared, avg or max, got {mode!r}")


class MultiScaleAttention(nn.Module):
    """Pooling attention for one block; ``forward(x, thw) -> (out, pooled_thw)``."""

    def __init__(
        self,
        dim: int,
        dim_out: int,
        input_size: list[int],
        num_heads: int = 1,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        kernel_q: list[int] = (),
        kernel_kv: list[int] = (),
        stride_q: list[int] = (),
        stride_kv: list[int] = (),
        norm_layer=nn.LayerNorm,
        has_cls_embed: bool = True,
        mode: str = "conv",
        pool_first: bool = False,
        rel_pos_spatial: bool = False,
        rel_pos_temporal: bool = False,
        rel_pos_zero_init: bool = False,
        residual_pooling: bool = False,
        separate_qkv: bool = False,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        if attn_impl not in ATTN_IMPLS:
            raise ValueError(f"MODEL.ATTN_IMPL must be one of {ATTN_IMPLS}, got {attn_impl!r}")
        if mode == "conv_unshared" and not pool_first:
            raise ValueError("MVIT.MODE conv_unshared requires MVIT.POOL_FIRST True")
        self.pool_first = pool_first
        self.separate_qkv = separate_qkv
        self.num_heads = num_heads
        self.dim_out = dim_out
        self.head_dim = dim_out // num_heads
        self.scale = self.head_dim**-0.5
        self.has_cls_embed = has_cls_embed
        self.mode = mode
        self.attn_impl = attn_impl
        self.residual_pooling = residual_pooling

        if pool_first or separate_qkv:
            self.q = nn.Linear(dim, dim_out, bias=qkv_bias)
            self.k = nn.Linear(dim, dim_out, bias=qkv_bias)
            self.v = nn.Linear(dim, dim_out, bias=qkv_bias)
        else:
            self.qkv = nn.Linear(dim, dim_out * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim_out, dim_out)
        self.proj_drop = nn.Dropout(drop_rate) if drop_rate > 0.0 else nn.Identity()

        if pool_first:
            dim_conv = dim // num_heads if mode == "conv" else dim
        else:
            dim_conv = dim_out // num_heads if mode == "conv" else dim_out
        self.pool_q, self.norm_q = _build_pool(mode, dim_conv, list(kernel_q), list(stride_q), norm_layer)
        self.pool_k, self.norm_k = _build_pool(mode, dim_conv, list(kernel_kv), list(stride_kv), norm_layer)
        self.pool_v, self.norm_v = _build_pool(mode, dim_conv, list(kernel_kv), list(stride_kv), norm_layer)

        self.rel_pos_spatial = rel_pos_spatial
        self.rel_pos_temporal = rel_pos_temporal
        if rel_pos_spatial:
            if input_size[1] != input_size[2]:
                raise ValueError(f"relative positions need a square grid, got {input_size}")
            size = input_size[1]
            q_size = size // stride_q[1] if len(stride_q) > 0 else size
            kv_size = size // stride_kv[1] if len(stride_kv) > 0 else size
            rel_sp_dim = 2 * max(q_size, kv_size) - 1
            self.rel_pos_h = nn.Parameter(torch.zeros(rel_sp_dim, self.head_dim))
            self.rel_pos_w = nn.Parameter(torch.zeros(rel_sp_dim, self.head_dim))
            if not rel_pos_zero_init:
                trunc_normal_(self.rel_pos_h, std=0.02)
                trunc_normal_(self.rel_pos_w, std=0.02)
        if rel_pos_temporal:
            self.rel_pos_t = nn.Parameter(torch.zeros(2 * input_size[0] - 1, self.head_dim))
            if not rel_pos_zero_init:
                trunc_normal_(self.rel_pos_t, std=0.02)

    def _split_heads(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.reshape(b, n, self.num_heads, -1).permute(0, 2, 1, 3)

    def _project_qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """q, k, v as ``(B, heads, N, C)``; pool-first folds heads of the raw input instead."""
        b, n, _ = x.shape
        if self.pool_first:
            fold = 1 if self.mode == "conv_unshared" else self.num_heads
            x = x.reshape(b, n, fold, -1).permute(0, 2, 1, 3)
            return x, x, x
        if self.separate_qkv:
            return self._split_heads(self.q(x)), self._split_heads(self.k(x)), self._split_heads(self.v(x))
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # backward: one stack (three selects would each zero-fill the full size)
        return q, k, v

    def _bias(self, q: torch.Tensor, q_thw: list[int], k_thw: list[int], n_k: int) -> torch.Tensor | None:
        """Full ``(B, heads, Nq, Nk)`` additive bias (zero outside the patch×patch block)."""
        if not (self.rel_pos_spatial or self.rel_pos_temporal):
            return None
        sp = 1 if self.has_cls_embed else 0
        nq_p = q_thw[0] * q_thw[1] * q_thw[2]
        nk_p = k_thw[0] * k_thw[1] * k_thw[2]
        patch_bias = decomposed_rel_pos_bias(
            q[:, :, sp : sp + nq_p],
            q_thw,
            k_thw,
            self.rel_pos_h if self.rel_pos_spatial else None,
            self.rel_pos_w if self.rel_pos_spatial else None,
            self.rel_pos_t if self.rel_pos_temporal else None,
        )
        b, h, n_q, _ = q.shape
        # Pad the patch block with zeros for CLS rows/cols (front) and extra tokens (back).
        return F.pad(patch_bias, (sp, n_k - sp - nk_p, sp, n_q - sp - nq_p))

    def _tables(self) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
        sp = self.rel_pos_spatial
        return (self.rel_pos_h if sp else None, self.rel_pos_w if sp else None,
                self.rel_pos_t if self.rel_pos_temporal else None)

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, q_thw: list[int], k_thw: list[int]):
        """softmax(scale·QKᵀ + relative-position bias) V by ``self.attn_impl``."""
        has_rel = self.rel_pos_spatial or self.rel_pos_temporal
        # Under tracing (fvcore FLOP counts, ONNX/TorchScript export) the fused form falls back to the
        # equal masked SDPA below, so counts report the attention's own multiply-adds (softmax(QKᵀ+B)V),
        # not the one-hot key channels the fused kernel adds.
        if self.attn_impl == "sdpa" and not (has_rel and torch.jit.is_tracing()):
            dtype = v.dtype
            if not has_rel:
                return F.scaled_dot_product_attention(q.to(dtype), k.to(dtype), v, scale=self.scale)
            start = 1 if self.has_cls_embed else 0
            q_aug, k_aug = rel_pos_qk_augment(q, k, q_thw, k_thw, start, self.scale, *self._tables())
            v_in = v
            # The fused kernels (CUDA, and CPU flash attention) want one head size; without the pad the CPU
            # falls back to the math path (fwd+bwd of the embedded job's clip attention 55 -> 32 ms).
            if v.shape[-1] != q_aug.shape[-1]:
                v_in = F.pad(v, (0, q_aug.shape[-1] - v.shape[-1]))
            out = F.scaled_dot_product_attention(q_aug.to(dtype), k_aug.to(dtype), v_in, scale=1.0)
            return out[..., : v.shape[-1]]
        if self.attn_impl == "flex":
            return self._flex(q, k, v, q_thw, k_thw)
        bias = self._bias(q, q_thw, k_thw, k.shape[2])
        if self.attn_impl == "explicit":
            attn = (q * self.scale) @ k.transpose(-2, -1)
            if bias is not None:
                attn = attn + bias
            return attn.softmax(dim=-1) @ v
        dtype = v.dtype
        return F.scaled_dot_product_attention(
            q.to(dtype), k.to(dtype), v, attn_mask=None if bias is None else bias.to(dtype), scale=self.scale
        )

    def _flex(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, q_thw: list[int], k_thw: list[int]):
        """FlexAttention; the decomposed bias is looked up per (query, key) inside the kernel."""
        try:
            from torch.nn.attention.flex_attention import flex_attention
        except ImportError as e:
            raise RuntimeError("MODEL.ATTN_IMPL flex needs torch.nn.attention.flex_attention (torch >= 2.5)") from e
        dtype = v.dtype
        q, k = q.to(dtype), k.to(dtype)
        if not (self.rel_pos_spatial or self.rel_pos_temporal):
            return flex_attention(q, k, v, scale=self.scale)
        start = 1 if self.has_cls_embed else 0
        nq_p = math.prod(q_thw)
        kt, kh, kw = k_thw
        nk_p = kt * kh * kw
        a, parts = gathered_rel_pos_terms(q[:, :, start : start + nq_p], q_thw, k_thw, *self._tables())
        sizes = {"t": kt, "h": kh, "w": kw}
        terms = dict(zip(parts, a.split([sizes[p] for p in parts], dim=-1)))
        zero = torch.zeros((), dtype=q.dtype, device=q.device)
        rel_t, rel_h, rel_w = terms.get("t"), terms.get("h"), terms.get("w")

        def score_mod(score, b, h, q_idx, k_idx):
            qp, kp = q_idx - start, k_idx - start
            inside = (qp >= 0) & (qp < nq_p) & (kp >= 0) & (kp < nk_p)
            qc, kc = qp.clamp(0, nq_p - 1), kp.clamp(0, nk_p - 1)
            bias = zero
            if rel_t is not None:
                bias = bias + rel_t[b, h, qc, kc // (kh * kw)]
            if rel_h is not None:
                bias = bias + rel_h[b, h, qc, (kc // kw) % kh] + rel_w[b, h, qc, kc % kw]
            return score + torch.where(inside, bias, zero)

        return flex_attention(q, k, v, score_mod=score_mod, scale=self.scale)

    def forward(self, x: torch.Tensor, thw: list[int]) -> tuple[torch.Tensor, list[int]]:
        b = x.shape[0]
        q, k, v = self._project_qkv(x)
        q, q_thw = attention_pool(q, self.pool_q, thw, self.has_cls_embed, self.norm_q)
        k, k_thw = attention_pool(k, self.pool_k, thw, self.has_cls_embed, self.norm_k)
        v, _ = attention_pool(v, self.pool_v, thw, self.has_cls_embed, self.norm_v)
        if self.pool_first:
            q = self._split_heads(self.q(q.permute(0, 2, 1, 3).reshape(b, q.shape[2], -1)))
            k = self._split_heads(self.k(k.permute(0, 2, 1, 3).reshape(b, k.shape[2], -1)))
            v = self._split_heads(self.v(v.permute(0, 2, 1, 3).reshape(b, v.shape[2], -1)))

        out = self._attend(q, k, v, q_thw, k_thw)
        if self.residual_pooling:
            if self.has_cls_embed:  # every token but the CLS one: q times a 0/1 column, no slicing
                out = out + q * _all_but_first(q.shape[2], q.device, q.dtype)
            else:
                out = out + q
        out = out.transpose(1, 2).reshape(b, -1, self.dim_out)
        return self.proj_drop(self.proj(out)), q_thw

