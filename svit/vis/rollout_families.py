"""Where each transformer family's attention maps sit, so ``svit.vis.rollout`` can chain them.

The probabilities come from ``capture_sdpa`` (one record per SDPA call, in call order); the token
grids come from forward hooks on the families' own modules (removed afterwards):

* MViT / SViT: each ``MultiScaleAttention`` call, input grid = its ``thw`` argument, query grid = the
  grid it returns, key grid = the output of its ``pool_k`` (class token first, SViT's object tokens
  last);
* UniFormer: each global ``SABlock`` (stages 3 and 4), over all ``t·h·w`` tokens, no class token;
* ViViT: the spatial blocks per frame (class token + ``h·w`` patches) rolled out to the per-frame
  class tokens, then the temporal blocks (temporal class token + frames); a patch's relevance is its
  frame's temporal relevance times its spatial relevance;
* Video Swin: each ``SwinBlock3D``'s window attention scattered back onto the block's whole token
  grid through the model's own ``window_partition`` of a grid of token indices (shift and padding
  included; padded keys dropped), so the rollout runs across windows and shifts; patch merging
  between stages is bridged like a pooling;
* Side4Video: the side network only (the frozen CLIP tower is not what the side network learns):
  per frame, its patch queries' attention over the frame's patches (the shifted CLS key, which comes
  from the tower, left out and the rows renormalised); the temporal convolutions are not attention
  and do not enter the rollout.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn as nn
from torch import Tensor

from svit.engine.tasks.base import logits_of
from svit.models.mvit.attention import MultiScaleAttention
from svit.models.mvit.model import MViT
from svit.models.side4video.model import Side4Video
from svit.models.swin.block import SwinBlock3D
from svit.models.swin.model import VideoSwin
from svit.models.swin.windows import clip_window, window_partition
from svit.models.uniformer.blocks import SABlock
from svit.models.uniformer.model import UniFormer
from svit.models.vivit.model import ViViT
from svit.vis.attention_capture import capture_sdpa
from svit.vis.rollout import AttnLayer, grid_relevance, rollout


class RolloutUnsupported(ValueError):
    """A model whose attention layers this module does not know how to chain."""


def _grid(v) -> tuple[int, int, int]:
    return tuple(int(x) for x in v)  # type: ignore[return-value]


@contextmanager
def use_sdpa(net: nn.Module) -> Iterator[None]:
    """Every attention module on its SDPA path for the capture (``attn_impl`` / timm ``fused_attn``),
    restored afterwards; the paths compute the same attention (the models' equivalence tests)."""
    saved = []
    for m in net.modules():
        for attr, value in (("attn_impl", "sdpa"), ("fused_attn", True)):
            if hasattr(m, attr) and not isinstance(getattr(m, attr), nn.Module):
                saved.append((m, attr, getattr(m, attr)))
                setattr(m, attr, value)
    try:
        yield
    finally:
        for m, attr, value in saved:
            setattr(m, attr, value)


def _run(net: nn.Module, x: Tensor, hooks: list) -> tuple[list[Tensor], Tensor]:
    try:
        with torch.no_grad(), use_sdpa(net), capture_sdpa() as maps:
            logits = logits_of(net(x))
    finally:
        for h in hooks:
            h.remove()
    return maps, logits


def _head_mean(p: Tensor) -> Tensor:
    return p.mean(1) if p.dim() == 4 else p


def mvit_layers(net: nn.Module, x: Tensor) -> tuple[list[AttnLayer], Tensor]:
    geo: list[dict] = []
    hooks = []
    for m in net.modules():
        if not isinstance(m, MultiScaleAttention):
            continue
        hooks.append(m.register_forward_pre_hook(
            lambda mod, args: geo.append({"in": _grid(args[1]), "k": _grid(args[1]), "cls": mod.has_cls_embed})))
        hooks.append(m.register_forward_hook(lambda mod, args, out: geo[-1].update(q=_grid(out[1]))))
        if m.pool_k is not None:
            hooks.append(m.pool_k.register_forward_hook(
                lambda mod, args, out: geo[-1].update(k=_grid(out.shape[2:]))))
    maps, logits = _run(net, x, hooks)
    if len(maps) != len(geo):
        raise RolloutUnsupported(f"{len(maps)} SDPA calls for {len(geo)} MViT attention calls")
    layers = []
    for p, g in zip(maps, geo):
        prefix = 1 if g["cls"] else 0
        n_k = p.shape[-1]
        extra = n_k - prefix - g["k"][0] * g["k"][1] * g["k"][2]
        layers.append(AttnLayer(_head_mean(p), g["in"], g["q"], g["k"], prefix, extra))
    return layers, logits


def uniformer_layers(net: nn.Module, x: Tensor) -> tuple[list[AttnLayer], Tensor]:
    grids: list[tuple[int, int, int]] = []
    hooks = [m.register_forward_pre_hook(lambda mod, args: grids.append(_grid(args[0].shape[2:])))
             for m in net.modules() if isinstance(m, SABlock)]
    maps, logits = _run(net, x, hooks)
    if len(maps) != len(grids):
        raise RolloutUnsupported(f"{len(maps)} SDPA calls for {len(grids)} UniFormer SABlocks")
    return [AttnLayer(_head_mean(p), g, g, g) for p, g in zip(maps, grids)], logits


def relevance(net: nn.Module, x: Tensor) -> tuple[Tensor, Tensor, str]:
    """``(relevance (B, t, h, w) on the family's first token grid, logits, what was rolled out)``."""
    name = type(net).__name__

    if isinstance(net, MViT):  # SViT included
        layers, logits = mvit_layers(net, x)
        r = rollout(layers)
        return grid_relevance(r, layers[0], layers[-1].prefix), logits, f"rollout of {len(layers)} {name} layers"
    if isinstance(net, UniFormer):
        layers, logits = uniformer_layers(net, x)
        r = rollout(layers)
        return grid_relevance(r, layers[0], 0), logits, f"rollout of {len(layers)} global UniFormer blocks"
    if isinstance(net, ViViT):
        return vivit_relevance(net, x)

    if isinstance(net, VideoSwin):
        layers, logits = swin_layers(net, x)
        r = rollout(layers)
        what = f"rollout of {len(layers)} Video Swin blocks (windows scattered)"
        return grid_relevance(r, layers[0], 0), logits, what
    if isinstance(net, Side4Video):
        return side4video_relevance(net, x)
    raise RolloutUnsupported(f"no attention rollout for {name}")


def vivit_relevance(net: nn.Module, x: Tensor) -> tuple[Tensor, Tensor, str]:
    grid: list[tuple[int, int, int]] = []
    hooks = [net.patch_embed.register_forward_hook(lambda mod, args, out: grid.append(_grid(out[1])))]
    maps, logits = _run(net, x, hooks)
    t, h, w = grid[0]
    n_s, n_t = len(net.blocks), len(net.tblocks)
    if len(maps) != n_s + n_t:
        raise RolloutUnsupported(f"{len(maps)} SDPA calls for {n_s} spatial + {n_t} temporal ViViT blocks")
    spatial = [AttnLayer(_head_mean(p), (1, h, w), (1, h, w), (1, h, w), prefix=1) for p in maps[:n_s]]
    temporal = [AttnLayer(_head_mean(p), (t, 1, 1), (t, 1, 1), (t, 1, 1), prefix=1) for p in maps[n_s:]]
    rel_s = grid_relevance(rollout(spatial), spatial[0], 1).reshape(-1, t, h, w)  # (B, t, h, w)
    rel_t = grid_relevance(rollout(temporal), temporal[0], 1).reshape(-1, t, 1, 1)
    return rel_t * rel_s, logits, f"rollout of {n_s} spatial x {n_t} temporal ViViT blocks"


def _swin_index(grid: tuple[int, int, int], window_size, shift_size) -> Tensor:
    """``(nW, N_win)``: the original token index (d·H·W order) of every window slot of one clip, -1
    for padding, by the block's own padding, roll and ``window_partition``."""
    import torch.nn.functional as F

    window, shift = clip_window(grid, window_size, shift_size)
    idx = torch.arange(grid[0] * grid[1] * grid[2], dtype=torch.float64).reshape(1, *grid, 1)
    pads = [(w - n % w) % w for n, w in zip(grid, window)]
    idx = F.pad(idx, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]), value=-1.0)
    if any(s > 0 for s in shift):
        idx = torch.roll(idx, shifts=tuple(-s for s in shift), dims=(1, 2, 3))
    return window_partition(idx, window)[..., 0].long()


def swin_layers(net: nn.Module, x: Tensor) -> tuple[list[AttnLayer], Tensor]:
    geo: list[tuple] = []
    hooks = [m.register_forward_pre_hook(
        lambda mod, args: geo.append((_grid(args[0].shape[1:4]), mod.window_size, mod.shift_size)))
        for m in net.modules() if isinstance(m, SwinBlock3D)]
    maps, logits = _run(net, x, hooks)
    if len(maps) != len(geo):
        raise RolloutUnsupported(f"{len(maps)} SDPA calls for {len(geo)} Video Swin blocks")
    layers = []
    for p, (grid, window, shift) in zip(maps, geo):
        index = _swin_index(grid, window, shift).to(p.device)  # (nW, N_win)
        n_w, n_win = index.shape
        probs = _head_mean(p).reshape(-1, n_w, n_win, n_win)  # (B, nW, N_win, N_win)
        n = grid[0] * grid[1] * grid[2]
        keep = index >= 0
        qi = index[:, :, None].expand(n_w, n_win, n_win)
        ki = index[:, None, :].expand(n_w, n_win, n_win)
        both = (keep[:, :, None] & keep[:, None, :])
        full = torch.zeros(probs.shape[0], n, n, dtype=probs.dtype, device=probs.device)
        full[:, qi[both], ki[both]] = probs[:, both]
        full = full / full.sum(-1, keepdim=True).clamp(min=1e-12)
        layers.append(AttnLayer(full, grid, grid, grid))
    return layers, logits


def side4video_relevance(net: nn.Module, x: Tensor) -> tuple[Tensor, Tensor, str]:
    grid: list[tuple[int, int, int]] = []
    hooks = [net.side_stem.register_forward_hook(lambda mod, args, out: grid.append(_grid(out.shape[2:])))] \
        if hasattr(net, "side_stem") else []
    maps, logits = _run(net, x, hooks)
    side = [p for p in maps if p.shape[-1] == p.shape[-2] + 1]  # patch queries, [shifted CLS + patches] keys
    if not grid or not side:
        raise RolloutUnsupported("no Side4Video side-network attention was captured")
    t, h, w = grid[0]
    layers = []
    for p in side:
        pp = _head_mean(p)[..., 1:]
        layers.append(AttnLayer(pp / pp.sum(-1, keepdim=True).clamp(min=1e-12), (1, h, w), (1, h, w), (1, h, w)))
    rel = grid_relevance(rollout(layers), layers[0], 0).reshape(-1, t, h, w)
    return rel, logits, f"rollout of {len(layers)} Side4Video side-network blocks (per frame)"
