"""Attention pooling over the patch grid, with a CLS token in front and extra (object) tokens behind.

Token layout everywhere in MViT/SViT: ``[CLS?] + T·H·W patch tokens (raster order) + extra tokens``.
Only the patch tokens live on the grid and are pooled. Extra tokens (SViT's object tokens) are
never downsampled; when the pooling operator is a depthwise Conv3d the original code broadcast each
object token into a kernel-sized constant volume, convolved it and averaged the outputs. That is a
per-channel rescaling whose factor depends only on the conv weights, stride and padding, so it is
computed here directly (``conv_constant_volume_scale``) instead of running the convolution.

The depthwise pooling convs (built in attention.py) are the shared ``DepthwiseConv3d``
(svit/models/layers/depthwise.py: an ``nn.Conv3d`` with the same parameter names whose ``impl`` picks plain
``F.conv3d`` or the registered operator ``svit::depthwise_conv3d`` on the device's fast kernels).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.models.mvit.rel_pos import cached_constant


def tap_weights(kernel: int, stride: int, padding: int) -> torch.Tensor:
    """Weight of each kernel tap when a constant volume of length ``kernel`` is convolved
    (zero padding ``padding``, stride ``stride``) and the outputs are averaged.

    Tap ``a`` contributes at output ``o`` iff input index ``o·stride − padding + a`` falls inside
    the volume; its weight is the fraction of outputs where it does (e.g. k=3, p=1: stride 1 gives
    (2/3, 1, 2/3), stride 2 gives (1/2, 1, 1/2), stride ≥ 3 gives (0, 1, 1)).
    """
    n_out = (kernel + 2 * padding - kernel) // stride + 1
    w = torch.zeros(kernel, dtype=torch.float64)
    for a in range(kernel):
        hits = sum(1 for o in range(n_out) if 0 <= o * stride - padding + a < kernel)
        w[a] = hits / n_out
    return w


def conv_constant_volume_scale(conv: nn.Conv3d) -> torch.Tensor:
    """Per-channel factor ``Σ_{a,b,e} W[c,a,b,e]·w_t(a)·w_h(b)·w_w(e)`` of a depthwise Conv3d.

    Multiplying a token by it equals broadcasting the token into a kernel-sized volume, applying
    ``conv`` and averaging over output positions (exactly, up to float rounding).
    """
    weight = conv.weight.flatten(1)  # (C, kT·kH·kW); depthwise: one input channel per group
    (k_t, k_h, k_w), (s_t, s_h, s_w), (p_t, p_h, p_w) = conv.kernel_size, conv.stride, conv.padding

    def make() -> torch.Tensor:
        taps = (
            tap_weights(k_t, s_t, p_t)[:, None, None]
            * tap_weights(k_h, s_h, p_h)[None, :, None]
            * tap_weights(k_w, s_w, p_w)[None, None, :]
        )
        return taps.flatten().to(dtype=weight.dtype, device=weight.device)

    key = ("taps", tuple(conv.kernel_size), tuple(conv.stride), tuple(conv.padding), str(weight.device), weight.dtype)
    return torch.mv(weight, cached_constant(key, make))


def attention_pool(
    tensor: torch.Tensor,
    pool: nn.Module | None,
    thw: list[int],
    has_cls: bool,
    norm: nn.Module | None = None,
) -> tuple[torch.Tensor, list[int]]:
    """Pools the patch tokens of ``tensor`` ``(B, N_heads, L, C)`` (or ``(B, L, C)``) on grid ``thw``.

    Returns the re-assembled tokens ``[CLS, pooled patches, extra]`` (after ``norm`` if given) and
    the pooled grid. ``pool=None`` returns the input untouched (no norm either, as in PySlowFast).
    """
    if pool is None:
        return tensor, list(thw)
    squeeze = tensor.ndim == 3
    if squeeze:
        tensor = tensor.unsqueeze(1)
    start = 1 if has_cls else 0
    t, h, w = (int(v) for v in thw)
    n_patch = t * h * w
    b, n, _, c = tensor.shape
    # one split (its backward is one concatenation) rather than three slices (each backward a zero
    # tensor of the full size plus a copy, then two adds)
    cls_tok, patches, extra = torch.split(tensor, [start, n_patch, tensor.shape[2] - start - n_patch], dim=2)

    # contiguous: a permuted (channels-last) grid makes the pooling conv's weight gradient channels-last
    # too, which no longer matches the parameter's layout (DDP's "grad strides" warning every step)
    grid = patches.reshape(b * n, t, h, w, c).permute(0, 4, 1, 2, 3).contiguous()
    grid = pool(grid)
    new_thw = [int(grid.shape[2]), int(grid.shape[3]), int(grid.shape[4])]
    patches = grid.reshape(b, n, grid.shape[1], -1).transpose(2, 3)

    if extra.shape[2] > 0 and isinstance(pool, nn.Conv3d):
        extra = extra * conv_constant_volume_scale(pool).to(extra.dtype)

    pieces = [p for p in (cls_tok, patches, extra) if p.shape[2] > 0]
    out = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=2)
    if norm is not None:
        out = norm(out)
    if squeeze:
        out = out.squeeze(1)
    return out, new_thw
