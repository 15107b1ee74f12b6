"""CPU weight gradient of a strided depthwise Conv3d as sums of shifted products on channels-last tensors.

aten's CPU weight gradient of a strided depthwise Conv3d (oneDNN) was ~10% of the main job's SViT training
step (MViT's (1,2,2) kv pooling); the grouped-conv weight gradient (depthwise_conv3d.py) is fast only at
stride 1 (with a stride it becomes a dilated conv). Per tap the weight gradient is one product of a strided
view of the input with the output gradient, summed over everything but the channel. On channels-last tensors
the channel is the innermost, contiguous axis of both factors, so the product is a vectorised elementwise
multiply and the sum a vectorised column reduction. All spatial taps of one temporal tap go through one
multiply (into one contiguous buffer) and one reduction: two kernels per temporal tap instead of oneDNN's
generic path. Temporal taps only multiply the output frames that read real input frames (for a single frame
with kernel 3, padding 1 that is one temporal tap of three). Which shapes take this path is decided by
``use_tap_weight_grad`` from side-by-side measurements (its doc).
"""
from __future__ import annotations

import math

import torch

__all__ = ["tap_weight_grad", "use_tap_weight_grad"]

# Largest product buffer (elements) for all spatial taps at once; above it, one row of spatial taps per
# multiply (MViTv2-S's 56x56 grid at batch 8 would otherwise take ~170 MB for a moment).
_MAX_BUFFER = 1 << 22
# ``use_tap_weight_grad`` takes this path up to this many products per temporal tap (kH·kW·grad_out elements).
_MAX_PRODUCTS = 1 << 21


def use_tap_weight_grad(kernel: list[int], stride: list[int], multiplier: int, grad_out: torch.Tensor) -> bool:
    """Whether the CPU weight gradient is faster as ``tap_weight_grad`` than from aten (oneDNN).

    Measured on the shared 2-core machine (fp32, this function against aten's weight gradient on the same
    tensors as the backward passes them, side by side in one process, 15-21 interleaved rounds; load
    average 4.8-5.6 from training runs beside it, so medians wander and minima are given too). aten / tap:

    * main job's kv pooling, kernel 3x3x3 stride (1,2,2), channels-last output gradient, 1 thread: x
      (16,32,4,12,12) 14.7 vs 2.4 ms median (min 8.6 vs 1.9), frames (16,32,1,12,12) 5.2 vs 0.45 (1.4 vs
      0.30), batch 8 (8,32,4,12,12) min 2.3 vs 1.0, (8,32,1,12,12) 0.94 vs 0.31. 2 threads (min): 11.7 vs
      1.8, 1.2 vs 0.36, 1.8 vs 0.9, 0.51 vs 0.20.
    * MViTv2-S, 96 channels, stride (1,2,2), 1 thread: 14x14 grid (4 clips) 8.5 vs 3.7 ms, 28x28 (2) 33.6 vs
      16.9, 56x56 (1) 56 vs 43; at 2 threads, above ~2M products (e.g. 28x28 at 2 clips, 14x14 at 8) the
      tap path's minimum was 1.3-2x aten's: its ~8 parallel regions per call each stall on a loaded machine.
      Stride (2,2,2) 1.3-1.7x faster at 1 and 2 threads.
    * stride (1,4,4): 0.9-1.5x, (1,8,8): 0.4x (the padded channels-last copy of the whole input costs more
      than the few taps read); temporal (3,1,1) kernels: stride 3 with multiplier 2 0.5-0.9x, stride
      (2,1,1) 1.1-1.4x at 1 thread but 0.75x at 2; a multiplier 2 on 3x3x3 kernels 0.9-1.4x.

    So: a kernel with a spatial extent, a stride whose product is at most 8, no multiplier, fp32/fp64 (the
    products and sums are in the gradient's dtype), and at most ``_MAX_PRODUCTS`` products per temporal tap.
    In the main job's training step (1 thread, auto before/after, interleaved) the pooling convs' backward went
    57.5 -> 33.2 ms and the step 299.7 -> 272.1 ms (medians; faster in 45 of 50 rounds).
    """
    strided = any(s > 1 for s in stride)
    spatial = kernel[1] * kernel[2] > 1
    small = kernel[1] * kernel[2] * grad_out.numel() <= _MAX_PRODUCTS
    return (strided and spatial and small and multiplier == 1 and math.prod(stride) <= 8
            and grad_out.dtype in (torch.float32, torch.float64))


def _valid_outputs(size: int, tap: int, n_out: int, s: int, p: int, d: int) -> tuple[int, int]:
    """Output range ``[lo, hi)`` whose reads ``o·s − p + tap·d`` fall inside ``[0, size)`` (the rest read padding)."""
    lo = max(0, -((tap * d - p) // s))
    hi = min(n_out, (size - 1 + p - tap * d) // s + 1)
    return lo, max(lo, hi)


def tap_weight_grad(
    x: torch.Tensor, grad_out: torch.Tensor, kernel: list[int], stride: list[int], padding: list[int],
    dilation: list[int],
) -> torch.Tensor:
    """dL/dW ``(C*m, 1, *kernel)`` of ``F.conv3d(x, W, None, stride, padding, dilation, groups=C)``, contiguous.

    Per axis the forward reads ``xp[o·s + a·d]`` of the zero-padded input for output ``o`` and tap ``a``, so
    ``dW[c·m+j, a] = Σ_{n,o} xp[n, c, o·s + a·d] · g[n, c·m+j, o]``. ``xp`` is built channels-last
    ``(N, T, H+2p, W+2p, C·m)`` (input channel c repeated for its m outputs), padded in H and W only; for
    temporal tap ``a_t`` the output frames ``[lo, hi)`` that read real frames start at input frame
    ``lo·s_t − p_t + a_t·d_t``. For them one
    ``as_strided`` view ``(kH, kW, N, hi−lo, oH, oW, C·m)`` times the channels-last output gradient is
    written into a contiguous buffer and summed over its middle axes.
    """
    n, c, size_t, size_h, size_w = x.shape
    cm = grad_out.shape[1]
    m = cm // c
    k_t, k_h, k_w = kernel
    o_t, o_h, o_w = grad_out.shape[2:]
    (s_t, s_h, s_w), (p_t, p_h, p_w), (d_t, d_h, d_w) = stride, padding, dilation
    # channels-last with each input channel repeated m times (output channel c·m+j reads input channel c): a
    # stride-0 multiplier axis instead made the products 2x slower than aten's at m = 2
    xp = x.new_zeros(n, size_t, size_h + 2 * p_h, size_w + 2 * p_w, c, m)
    xp[:, :, p_h:p_h + size_h, p_w:p_w + size_w] = x.permute(0, 2, 3, 4, 1).unsqueeze(-1)
    xp = xp.view(*xp.shape[:4], cm)
    # channels-last, contiguous (a view for MViT's token-grid gradient): the channel must be the unit-stride axis
    g = grad_out.permute(0, 2, 3, 4, 1).contiguous()
    sn, st, sh, sw, sc = xp.stride()
    rows = k_h if k_h * k_w * g.numel() <= _MAX_BUFFER else 1  # spatial tap rows per multiply
    out = x.new_zeros(k_t, k_h, k_w, cm)
    buf = x.new_empty(rows * k_w * g.numel())
    for a_t in range(k_t):
        lo, hi = _valid_outputs(size_t, a_t, o_t, s_t, p_t, d_t)
        if lo == hi:
            continue  # this tap reads only padding: its gradient is zero
        t0 = lo * s_t - p_t + a_t * d_t
        for a_h in range(0, k_h, rows):
            view = xp.as_strided(
                (rows, k_w, n, hi - lo, o_h, o_w, cm),
                (sh * d_h, sw * d_w, sn, st * s_t, sh * s_h, sw * s_w, sc),
                xp.storage_offset() + t0 * st + a_h * d_h * sh,
            )
            prod = buf[: view.numel()].view(view.shape)
            torch.mul(view, g[:, lo:hi], out=prod)
            torch.sum(prod.view(rows * k_w, -1, cm), 1, out=out[a_t, a_h:a_h + rows].view(rows * k_w, cm))
    return out.view(-1, cm).t().contiguous().view(cm, 1, k_t, k_h, k_w)  # the parameter's layout
