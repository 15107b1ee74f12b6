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


def use_tap_weight_grad(kernel: list[int], stride: list[int], dtype: torch.dtype) -> bool:
    """Whether the CPU weight gradient is faster as ``tap_weight_grad`` than from aten (oneDNN).

    Measured numbers: docs/ARCHITECTURE.md, "Depthwise Conv3d" (filled in below by the measurement commit).
    """
    strided = any(s > 1 for s in stride)
    return strided and math.prod(stride) <= 8 and dtype in (torch.float32, torch.float64)


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
