"""Attention rollout (Abnar & Zuidema, 2020) over the attention maps the transformer families compute.

Rollout multiplies the layers' head-averaged attention, each mixed half-and-half with the identity
for the residual connection and renormalised: ``R = Π_l (½ A_l + ½ I)``. The row of the class token
(or the mean of the rows when there is none) over the first layer's tokens says how much each input
token feeds the output.

Pooling and multi-stage models: a layer whose keys sit on a coarser grid than its input (MViT's
pooled keys/values, stride s) reaches the input tokens through ``key_map`` (each pooled key stands for
the input tokens of its stride cell, in equal parts), and one whose queries are pooled carries its
residual through ``query_map`` (each output token averages the input tokens of its cell); a grid
change between layers (UniFormer's stages) is bridged the same way. These maps are the nearest-cell
approximation of the pooling convolutions, not the learned kernels.

Token layout per layer: ``prefix`` leading tokens (class token), the grid tokens ``t·h·w`` in
``(t, h, w)`` order, then ``extra`` trailing tokens (SViT's object tokens), which map one to one.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class AttnLayer:
    """One attention call: head-averaged ``probs`` ``(B, Nq, Nk)`` and its token geometry."""

    probs: Tensor
    in_grid: tuple[int, int, int]
    q_grid: tuple[int, int, int]
    k_grid: tuple[int, int, int]
    prefix: int = 0
    extra: int = 0

    @property
    def n_in(self) -> int:
        return self.prefix + _n(self.in_grid) + self.extra


def _n(grid) -> int:
    t, h, w = grid
    return int(t) * int(h) * int(w)


def grid_map(src: tuple[int, int, int], dst: tuple[int, int, int]) -> Tensor:
    """``(N_dst, N_src)``: row ``j`` averages the ``src`` cells whose nearest ``dst`` cell is ``j``
    (cell ``i`` of an axis of length n goes to ``floor(i · m / n)`` of the axis of length m)."""
    idx = []
    for n, m in zip(src, dst):
        idx.append(torch.div(torch.arange(n) * m, n, rounding_mode="floor"))
    tt, hh, ww = torch.meshgrid(*idx, indexing="ij")
    target = (tt * dst[1] * dst[2] + hh * dst[2] + ww).reshape(-1)
    m = torch.zeros(_n(dst), _n(src))
    m[target, torch.arange(_n(src))] = 1.0
    count = m.sum(1, keepdim=True)
    return m / count.clamp(min=1.0)


def token_map(src: tuple[int, int, int], dst: tuple[int, int, int], prefix: int, extra: int,
              spread: bool) -> Tensor:
    """``(N_dst_tokens, N_src_tokens)`` for the full layout; prefix/extra tokens map one to one.

    ``spread=False``: each destination token averages its source cell (rows sum to 1, a pooling).
    ``spread=True``: each destination token hands its weight to its source cell in equal parts (the
    transpose of the cell indicator, rows sum to 1): how a pooled key's attention reaches the input.
    """
    g = grid_map(src, dst)
    if spread:
        g = (g > 0).float()
        g = g / g.sum(1, keepdim=True).clamp(min=1.0)
    n_dst, n_src = prefix + _n(dst) + extra, prefix + _n(src) + extra
    out = torch.zeros(n_dst, n_src)
    if prefix:
        out[:prefix, :prefix] = torch.eye(prefix)
    out[prefix:prefix + _n(dst), prefix:prefix + _n(src)] = g
    if extra:
        out[-extra:, -extra:] = torch.eye(extra)
    return out


def layer_matrix(layer: AttnLayer, residual: float = 0.5) -> Tensor:
    """``(B, Nq, N_in)``: ``(1 - r) · A · K + r · Q`` with K the keys' and Q the queries' maps onto
    the layer's input tokens (identities when nothing is pooled), rows renormalised."""
    a = layer.probs.float()
    if layer.k_grid != layer.in_grid:
        a = a @ token_map(layer.in_grid, layer.k_grid, layer.prefix, layer.extra, spread=True).to(a)
    if layer.q_grid != layer.in_grid:
        q = token_map(layer.in_grid, layer.q_grid, layer.prefix, layer.extra, spread=False).to(a)
    else:
        q = torch.eye(layer.n_in, dtype=a.dtype, device=a.device)
    m = (1.0 - residual) * a + residual * q
    return m / m.sum(-1, keepdim=True)


def rollout(layers: list[AttnLayer], residual: float = 0.5) -> Tensor:
    """``(B, N_out, N_in0)``: the layers' matrices chained, output tokens of the last layer over the
    input tokens of the first; a grid change between layers is bridged by ``token_map`` (pooling)."""
    if not layers:
        raise ValueError("attention rollout needs at least one attention layer (none was captured)")
    r = None
    grid = layers[0].in_grid
    for layer in layers:
        m = layer_matrix(layer, residual)
        if r is None:
            r = m
        else:
            if layer.in_grid != grid:
                bridge = token_map(grid, layer.in_grid, layer.prefix, layer.extra, spread=False).to(r)
                r = bridge @ r
            r = m @ r
        grid = layer.q_grid
    return r


def grid_relevance(r: Tensor, layer0: AttnLayer, out_prefix: int) -> Tensor:
    """``(B, t, h, w)`` relevance of the first layer's grid tokens for the class token (row 0) when
    the last layer has one (``out_prefix``), else for the mean of its output rows."""
    rows = r[:, :1] if out_prefix else r
    rel = rows.mean(1)[:, layer0.prefix:layer0.prefix + _n(layer0.in_grid)]
    return rel.reshape(rel.shape[0], *layer0.in_grid)
