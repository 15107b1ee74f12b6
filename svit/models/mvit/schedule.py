"""Per-block layout of an MViT (widths, heads, pooling kernels and strides) derived from MVIT.* keys.

Kept apart from the modules so that the rules PySlowFast applies to its config lists (adaptive kv
stride, kernels derived from strides, the rounding of widths) live in one place and can be checked
without building a network.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from fvcore.common.config import CfgNode


def round_width(width: float, multiplier: float, min_width: int = 1, divisor: int = 1) -> int:
    """Scales ``width`` and rounds it to a multiple of ``divisor`` (PySlowFast's rounding rule,
    so that the widths — hence parameter shapes — match released checkpoints)."""
    if not multiplier:
        return int(width)
    width = width * multiplier
    min_width = min_width or divisor
    out = max(min_width, int(width + divisor / 2) // divisor * divisor)
    if out < 0.9 * width:
        out += divisor
    return int(out)


@dataclass
class BlockSpec:
    """Everything one MultiScaleBlock needs to be built."""

    dim: int
    dim_out: int
    num_heads: int
    input_size: list[int]
    kernel_q: list[int] = field(default_factory=list)
    kernel_kv: list[int] = field(default_factory=list)
    stride_q: list[int] = field(default_factory=list)
    stride_kv: list[int] = field(default_factory=list)
    drop_path: float = 0.0


def _kernel_for(stride: list[int], kernel_cfg: list[int]) -> list[int]:
    """Configured kernel, or (when POOL_KVQ_KERNEL is empty) stride+1 per dim where stride > 1."""
    if kernel_cfg:
        return list(kernel_cfg)
    return [s + 1 if s > 1 else s for s in stride]


def block_schedule(cfg: CfgNode, patch_dims: list[int]) -> list[BlockSpec]:
    """Builds the per-block specs.

    ``patch_dims`` is the token grid the model is built for (T, H, W); it only fixes the length of
    the relative-position tables, the forward pass takes the grid from the input.
    """
    m = cfg.MVIT
    depth = m.DEPTH
    dim_mul = [1.0] * (depth + 1)
    head_mul = [1.0] * (depth + 1)
    for idx, mul in m.DIM_MUL:
        dim_mul[int(idx)] = float(mul)
    for idx, mul in m.HEAD_MUL:
        head_mul[int(idx)] = float(mul)

    stride_q: list[list[int]] = [[] for _ in range(depth)]
    kernel_q: list[list[int]] = [[] for _ in range(depth)]
    for entry in m.POOL_Q_STRIDE:
        i = int(entry[0])
        stride_q[i] = [int(s) for s in entry[1:]]
        kernel_q[i] = _kernel_for(stride_q[i], m.POOL_KVQ_KERNEL)

    kv_entries = [list(e) for e in m.POOL_KV_STRIDE]
    if m.POOL_KV_STRIDE_ADAPTIVE:
        # Adaptive kv stride: a running stride divided by each block's q stride (PySlowFast
        # replaces any explicit POOL_KV_STRIDE in that case; we do the same, without mutating cfg).
        running = [int(s) for s in m.POOL_KV_STRIDE_ADAPTIVE]
        kv_entries = []
        for i in range(depth):
            if stride_q[i]:
                running = [max(running[d] // stride_q[i][d], 1) for d in range(len(running))]
            kv_entries.append([i] + running)
    stride_kv: list[list[int]] = [[] for _ in range(depth)]
    kernel_kv: list[list[int]] = [[] for _ in range(depth)]
    for entry in kv_entries:
        i = int(entry[0])
        stride_kv[i] = [int(s) for s in entry[1:]]
        kernel_kv[i] = _kernel_for(stride_kv[i], m.POOL_KVQ_KERNEL)

    dpr = [x.item() for x in torch.linspace(0, m.DROPPATH_RATE, depth)]
    specs = []
    embed_dim = m.EMBED_DIM
    num_heads = m.NUM_HEADS
    input_size = list(patch_dims)
    for i in range(depth):
        num_heads = round_width(num_heads, head_mul[i])
        if m.DIM_MUL_IN_ATT:
            dim_out = round_width(embed_dim, dim_mul[i], divisor=round_width(num_heads, head_mul[i]))
        else:
            dim_out = round_width(
                embed_dim, dim_mul[i + 1], divisor=round_width(num_heads, head_mul[i + 1])
            )
        specs.append(
            BlockSpec(
                dim=embed_dim,
                dim_out=dim_out,
                num_heads=num_heads,
                input_size=list(input_size),
                kernel_q=kernel_q[i],
                kernel_kv=kernel_kv[i],
                stride_q=stride_q[i],
                stride_kv=stride_kv[i],
                drop_path=dpr[i],
            )
        )
        if stride_q[i]:
            input_size = [s // st for s, st in zip(input_size, stride_q[i])]
        embed_dim = dim_out
    return specs
