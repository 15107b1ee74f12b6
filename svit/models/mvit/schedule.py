"""Per-block layout of an MViT (widths, heads, pooling kernels and strides) from the MViT arguments.

Kept apart from the modules so that the rules PySlowFast applies to its config lists (adaptive kv
stride, kernels derived from strides, the rounding of widths) live in one place and can be checked
without building a network.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch

# MViT keyword arguments that shape the block schedule (the rest configure the blocks themselves).
SCHEDULE_KEYS = (
    "depth", "embed_dim", "num_heads", "dim_mul", "head_mul", "pool_q_stride", "pool_kv_stride",
    "pool_kv_stride_adaptive", "pool_kvq_kernel", "drop_path_rate", "dim_mul_in_att",
)


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


def _per_block_pooling(
    entries: Sequence[Sequence[int]], depth: int, kernel_cfg: Sequence[int]
) -> tuple[list[list[int]], list[list[int]]]:
    """``[[block, s_t, s_h, s_w], ...]`` -> per-block strides and kernels (empty for a block that
    does not pool); the q and the kv pooling lists follow this one rule."""
    strides: list[list[int]] = [[] for _ in range(depth)]
    kernels: list[list[int]] = [[] for _ in range(depth)]
    for entry in entries:
        i = int(entry[0])
        strides[i] = [int(s) for s in entry[1:]]
        kernels[i] = _kernel_for(strides[i], list(kernel_cfg))
    return strides, kernels


def block_schedule(
    patch_dims: Sequence[int],
    *,
    depth: int,
    embed_dim: int,
    num_heads: int,
    dim_mul: Sequence[Sequence[float]] = (),
    head_mul: Sequence[Sequence[float]] = (),
    pool_q_stride: Sequence[Sequence[int]] = (),
    pool_kv_stride: Sequence[Sequence[int]] = (),
    pool_kv_stride_adaptive: Sequence[int] = (),
    pool_kvq_kernel: Sequence[int] = (),
    drop_path_rate: float = 0.0,
    dim_mul_in_att: bool = False,
) -> list[BlockSpec]:
    """Builds the per-block specs from PySlowFast's list conventions (``[[block, mul], ...]``,
    ``[[block, s_t, s_h, s_w], ...]``; MVIT.* keys of the same names).

    ``patch_dims`` is the token grid the model is built for (T, H, W); it only fixes the length of
    the relative-position tables, the forward pass takes the grid from the input.
    """
    dim_muls = [1.0] * (depth + 1)
    head_muls = [1.0] * (depth + 1)
    for idx, mul in dim_mul:
        dim_muls[int(idx)] = float(mul)
    for idx, mul in head_mul:
        head_muls[int(idx)] = float(mul)

    stride_q, kernel_q = _per_block_pooling(pool_q_stride, depth, pool_kvq_kernel)

    kv_entries = [list(e) for e in pool_kv_stride]
    if pool_kv_stride_adaptive:
        # Adaptive kv stride: a running stride divided by each block's q stride (PySlowFast
        # replaces any explicit POOL_KV_STRIDE in that case; we do the same, without mutating cfg).
        running = [int(s) for s in pool_kv_stride_adaptive]
        kv_entries = []
        for i in range(depth):
            if stride_q[i]:
                running = [max(running[d] // stride_q[i][d], 1) for d in range(len(running))]
            kv_entries.append([i] + running)
    stride_kv, kernel_kv = _per_block_pooling(kv_entries, depth, pool_kvq_kernel)

    # on the CPU explicitly: the values are plain floats even while building on the meta device
    dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth, device="cpu")]
    specs = []
    input_size = list(patch_dims)
    for i in range(depth):
        num_heads = round_width(num_heads, head_muls[i])
        if dim_mul_in_att:
            dim_out = round_width(embed_dim, dim_muls[i], divisor=round_width(num_heads, head_muls[i]))
        else:
            dim_out = round_width(
                embed_dim, dim_muls[i + 1], divisor=round_width(num_heads, head_muls[i + 1])
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
