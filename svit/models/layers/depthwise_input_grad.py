"""CPU input gradient of a strided depthwise Conv3d as a stride-1 convolution of the upsampled output gradient.

aten's CPU input gradient of a strided depthwise Conv3d (oneDNN) was the largest single op of the main job's
SViT training step (MViT's (1,2,2) kv pooling, ~13% of a step). The same gradient is a stride-1 depthwise
correlation, which oneDNN runs fast on channels-last tensors: place the output gradient, every ``stride``-th
position, into a zero tensor (channels-last) and correlate it with the spatially flipped kernel. Which
shapes take this path is decided by ``use_upsampled_input_grad`` from side-by-side measurements (its doc).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["CHANNELS_LAST", "upsampled_input_grad", "use_upsampled_input_grad"]

CHANNELS_LAST = torch.channels_last_3d


def use_upsampled_input_grad(kernel: list[int], stride: list[int], padding: list[int], dilation: list[int]) -> bool:
    """Whether the CPU input gradient is faster as ``upsampled_input_grad`` than from aten (oneDNN).

    Measured on the shared 2-core machine (fp32, this function against aten's on the same channels-last
    output gradient, side by side in one process, 7 interleaved rounds, medians; load average 2.5-3.6 from
    training runs beside it). aten time / upsampled time at 1 thread; at 2 threads many rounds of both paths
    stalled ~24 ms waiting for a core, so 2-thread medians are given only where they were not both stalled:

    * main job's kv pooling, kernel 3x3x3 stride (1,2,2): x (16,32,4,12,12) 4.0 vs 0.69 ms = 5.8x (2 threads
      1.2x); frames (16,32,1,12,12) 2.6x, (32,32,1,12,12) 3.9x.
    * MViTv2-S (batch 1-2, 16x224x224 clips), kernel 3x3x3: stride (1,2,2) on its 56/28/14 grids 3.6-6.1x
      (2 threads 1.3-1.75x); stride (1,4,4) 1.3-1.9x but 0.75-0.88x at 2 threads; stride (1,8,8) 0.63x
      (the zero-filled tensor is 64x the gradient). Stride (2,2,2) on (2,32,8,28,28): 3.2x.
    * temporal (3,1,1) kernels, H2CN stride 3 (with and without multiplier) and CNN stride (2,1,1): 0.32-0.9x.

    So: a kernel with a spatial extent and a stride whose product is at most 8 (the zero fill and the
    wasted taps grow with it). Padding beyond the dilated kernel extent (outputs that read only padding)
    is left to aten. In the main job's real step (svit_tiny, its 8 pooling convs' captured tensors) the
    pooling backward went 44 -> 39 ms at 1 thread (input gradient 5 ms; aten's weight gradient, 27 ms, is
    the rest), and the whole training step, plain vs fast on one model in interleaved rounds, was 1.06x
    faster at 1 thread (60 rounds, fast ahead in 42) and 1.07x at 2 threads (paired median, 24 rounds,
    load 3-5: 2-thread steps stall, 745 vs 657 ms median).
    """
    strided = any(s > 1 for s in stride)
    fits = all(p <= d * (k - 1) for k, p, d in zip(kernel, padding, dilation))
    return strided and fits and kernel[1] * kernel[2] > 1 and math.prod(stride) <= 8


def upsampled_input_grad(
    grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, stride: list[int], padding: list[int],
    dilation: list[int],
) -> torch.Tensor:
    """dL/dx of ``F.conv3d(x, weight, None, stride, padding, dilation, groups=C)``, channels-last whatever
    ``x``'s layout (the operator's fake says so): MViT's pooling input is a permuted token grid made
    contiguous, whose backward then passes a channels-last gradient on without a copy.

    Per axis the forward reads ``x[o·s − p + a·d]`` for output ``o`` and tap ``a``, so
    ``dx[i] = Σ g[o]·w[a]`` over ``o·s − p + a·d = i``. With ``up[o·s + L] = g[o]`` (zero elsewhere),
    ``L = d·(k−1) − p`` and length ``X + d·(k−1)``, the stride-1 correlation of ``up`` with the flipped
    kernel ``w[k−1−a]`` (dilation d) at ``i`` reads ``up[i + (k−1−a)·d]``, which is ``g[o]`` exactly when
    ``i = o·s − p + a·d``: that is ``dx``, with zeros where the forward never read ``x`` (needs ``p <= d·(k−1)``,
    so ``L >= 0``). With a multiplier m the m outputs of one input channel sum: a grouped conv with groups
    C, m input channels per group and weight ``(C, m, k...)``.
    """
    n, c = x.shape[:2]
    m = weight.shape[0] // c
    kernel = weight.shape[2:]
    left = [dilation[i] * (kernel[i] - 1) - padding[i] for i in range(3)]
    if min(left) < 0:
        raise ValueError(f"upsampled_input_grad needs padding <= dilation*(kernel-1); got padding {padding}, "
                         f"dilation {dilation}, kernel {list(kernel)}")
    size = [x.shape[2 + i] + dilation[i] * (kernel[i] - 1) for i in range(3)]
    # channels-last: the whole gradient at MViT's x (16,32,4,12,12) took 0.9 ms against 12.5 ms on NCDHW
    # tensors (oneDNN reorders those), and the output gradient arrives channels-last from MViT's token reshape
    up = grad_out.new_zeros(n, *size, c * m).permute(0, 4, 1, 2, 3)
    o = grad_out.shape[2:]
    up[(slice(None), slice(None)) + tuple(slice(left[i], left[i] + (o[i] - 1) * stride[i] + 1, stride[i])
                                          for i in range(3))] = grad_out
    flipped = weight.reshape(c, m, *kernel).flip(2, 3, 4)
    return F.conv3d(up, flipped.to(up.dtype), None, 1, 0, dilation, c).contiguous(memory_format=CHANNELS_LAST)
