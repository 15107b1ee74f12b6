"""One MViTv2 transformer block: pooling attention + MLP, with a max-pooled skip connection.

With DIM_MUL_IN_ATT the width change happens inside attention and the skip is projected from the
*normalised* input (``proj(norm1(x))``); otherwise it happens in the MLP and the skip is projected
from ``norm2(x)``. CLS and extra tokens bypass the skip max-pool.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from timm.layers import DropPath

from svit.models.mvit.attention import MultiScaleAttention
from svit.models.mvit.mlp import GeluMlp
from svit.models.mvit.pooling import attention_pool


class MultiScaleBlock(nn.Module):
    """``forward(x, thw) -> (x, thw_out)`` on tokens ``[CLS?] + patches + extra``."""

    def __init__(
        self,
        dim: int,
        dim_out: int,
        num_heads: int,
        input_size: list[int],
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        drop_path: float = 0.0,
        norm_layer=nn.LayerNorm,
        kernel_q: list[int] = (),
        kernel_kv: list[int] = (),
        stride_q: list[int] = (),
        stride_kv: list[int] = (),
        mode: str = "conv",
        has_cls_embed: bool = True,
        pool_first: bool = False,
        rel_pos_spatial: bool = False,
        rel_pos_temporal: bool = False,
        rel_pos_zero_init: bool = False,
        residual_pooling: bool = False,
        dim_mul_in_att: bool = False,
        separate_qkv: bool = False,
        layer_scale_init_value: float = 0.0,
        attn_impl: str = "sdpa",
    ) -> None:
        super().__init__()
        self.dim = dim
        self.dim_out = dim_out
        self.dim_mul_in_att = dim_mul_in_att
        self.has_cls_embed = has_cls_embed
        att_dim = dim_out if dim_mul_in_att else dim
        self.norm1 = norm_layer(dim)
        self.attn = MultiScaleAttention(
            dim,
            att_dim,
            input_size=input_size,
            num_heads=num_heads,
            qkv_bias=qkv_bias,
            drop_rate=drop_rate,
            kernel_q=kernel_q,
            kernel_kv=kernel_kv,
            stride_q=stride_q,
            stride_kv=stride_kv,
            norm_layer=norm_layer,
            has_cls_embed=has_cls_embed,
            mode=mode,
            pool_first=pool_first,
            rel_pos_spatial=rel_pos_spatial,
            rel_pos_temporal=rel_pos_temporal,
            rel_pos_zero_init=rel_pos_zero_init,
            residual_pooling=residual_pooling,
            separate_qkv=separate_qkv,
            attn_impl=attn_impl,
        )
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = norm_layer(att_dim)
        self.mlp = GeluMlp(att_dim, int(att_dim * mlp_ratio), dim_out, drop=drop_rate)
        if layer_scale_init_value > 0:
            self.gamma_1 = nn.Parameter(layer_scale_init_value * torch.ones(att_dim))
            self.gamma_2 = nn.Parameter(layer_scale_init_value * torch.ones(dim_out))
        else:
            self.gamma_1 = self.gamma_2 = None
        if dim != dim_out:
            self.proj = nn.Linear(dim, dim_out)
        stride_q = list(stride_q)
        kernel_skip = [s + 1 if s > 1 else s for s in stride_q]
        self.pool_skip = (
            nn.MaxPool3d(kernel_skip, stride_q, [k // 2 for k in kernel_skip], ceil_mode=False)
            if kernel_skip and max(kernel_skip + stride_q) > 1  # all-ones max-pool is the identity
            else None
        )

    def forward(self, x: torch.Tensor, thw: list[int]) -> tuple[torch.Tensor, list[int]]:
        x_norm = self.norm1(x)
        x_block, thw_new = self.attn(x_norm, thw)
        if self.gamma_1 is not None:
            x_block = self.gamma_1 * x_block
        if self.dim_mul_in_att and self.dim != self.dim_out:
            x = self.proj(x_norm)
        x_res, _ = attention_pool(x, self.pool_skip, thw, self.has_cls_embed)
        x = x_res + self.drop_path(x_block)
        x_norm = self.norm2(x)
        x_mlp = self.mlp(x_norm)
        if self.gamma_2 is not None:
            x_mlp = self.gamma_2 * x_mlp
        if not self.dim_mul_in_att and self.dim != self.dim_out:
            x = self.proj(x_norm)
        return x + self.drop_path(x_mlp), thw_new
