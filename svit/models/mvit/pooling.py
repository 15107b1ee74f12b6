"""Attention pooling over the patch grid, with a CLS token in front and extra (object) tokens behind.

Token layout everywhere in MViT/SViT: ``[CLS?] + T·H·W patch tokens (raster order) + extra tokens``.
Only the patch tokens live on the grid and are pooled. Extra tokens (SViT's object tokens) are
never downsampled; when the pooling operator is a depthwise Conv3d the original code broadcast each
object token into a kernel-sized constant volume, convolved it and averaged the outputs. That is a
per-channel rescaling whose factor depends only on the conv weights, stride and padding, so it is
computed here directly (``conv_constant_volume_scale``) instead of running the convolution.

The depthwise pooling convs are ``PoolConv3d`` modules (an ``nn.Conv3d``, same parameter names) whose
``impl`` picks how the SAME convolution is computed (see ``DepthwiseConv3dFn``): "plain" (``F.conv3d``
with autograd's default backward) or "fast". On CUDA, "fast" runs forward and backward with cuDNN off,
i.e. on PyTorch's native depthwise-3D kernels: cuDNN's bf16 depthwise Conv3d weight-gradient kernels
took 84% of a training step on an H200, and the native kernels made the step 1.47x faster there. On
CPU, "fast" computes the weight gradient as one grouped convolution of the input with the output
gradient as kernel (oneDNN's own depthwise weight gradient was ~20x slower on the 56x56 grids), and
the input gradient on contiguous tensors for strided convs. Results agree with "plain" to float
rounding (tests/models/test_mvit_fast_paths.py).
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F

POOL_CONV_IMPLS = ("auto", "fast", "plain")


def _depthwise_weight_grad_cpu(x: torch.Tensor, grad_out: torch.Tensor, weight_shape, stride, padding) -> torch.Tensor:
    """dL/dW of a depthwise conv3d as a grouped conv3d: for every (channel, sample) pair the padded
    input is correlated with that pair's output gradient (dilated by the stride); summing the samples
    gives ``Σ_o x_pad[o·s + tap]·g[o]`` for every tap."""
    n, c = x.shape[:2]
    k = weight_shape[2:]
    p_t, p_h, p_w = padding
    xp = F.pad(x, (p_w, p_w, p_h, p_h, p_t, p_t))
    xp = xp.transpose(0, 1).reshape(1, c * n, *xp.shape[2:])
    kern = grad_out.transpose(0, 1).reshape(c * n, 1, *grad_out.shape[2:])
    out = F.conv3d(xp, kern.to(xp.dtype), None, 1, 0, stride, c * n)[:, :, : k[0], : k[1], : k[2]]
    acc = torch.float64 if x.dtype == torch.float64 else torch.float32
    return out.reshape(c, n, *k).sum(1, dtype=acc).unsqueeze(1).to(x.dtype)


def _no_cudnn(active: bool):
    """cuDNN off (only this conv's kernels are affected), keeping the other cuDNN settings."""
    if not active:
        return contextlib.nullcontext()
    b = torch.backends.cudnn
    return b.flags(enabled=False, benchmark=b.benchmark, deterministic=b.deterministic, allow_tf32=b.allow_tf32)


class DepthwiseConv3dFn(torch.autograd.Function):
    """Depthwise Conv3d (no bias, dilation 1) whose forward and backward run on the fast kernels of
    the device (see the module docstring). ``forward(x, weight, stride, padding)``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, stride: tuple, padding: tuple) -> torch.Tensor:
        dev = x.device.type
        if torch.is_autocast_enabled(dev):  # the cast autocast would apply to conv3d, done here once
            dtype = torch.get_autocast_dtype(dev)
            x, weight = x.to(dtype), weight.to(dtype)
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = tuple(stride), tuple(padding)
        groups = weight.shape[0]
        with torch.autocast(dev, enabled=False), _no_cudnn(x.is_cuda):
            return F.conv3d(x, weight, None, stride, padding, 1, groups)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        x, weight = ctx.saved_tensors
        stride, padding, groups = list(ctx.stride), list(ctx.padding), weight.shape[0]
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_x = grad_w = None
        if x.is_cuda:
            with _no_cudnn(True):
                grad_x, grad_w, _ = torch.ops.aten.convolution_backward(
                    grad_out, x, weight, None, stride, padding, [1, 1, 1], False, [0, 0, 0], groups,
                    [need_x, need_w, False],
                )
            return grad_x, grad_w, None, None
        if need_x:
            strided = any(s > 1 for s in stride)
            g, xi = (grad_out.contiguous(), x.contiguous()) if strided else (grad_out, x)
            grad_x = torch.ops.aten.convolution_backward(
                g, xi, weight, None, stride, padding, [1, 1, 1], False, [0, 0, 0], groups, [True, False, False]
            )[0]
        if need_w:
            grad_w = _depthwise_weight_grad_cpu(x, grad_out, weight.shape, stride, padding)
        return grad_x, grad_w, None, None


class PoolConv3d(nn.Conv3d):
    """The depthwise pooling conv of MViT attention (``groups == channels``, no bias); ``impl``:
    "plain" = ``nn.Conv3d``; "fast" = ``DepthwiseConv3dFn``; "auto" = "fast" except while
    ``torch.compile`` traces (the compiler then chooses the kernels)."""

    impl: str = "auto"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        impl = self.impl
        if impl == "auto":
            impl = "plain" if torch.compiler.is_compiling() else "fast"
        if impl == "plain" or x.device.type not in ("cpu", "cuda"):
            return super().forward(x)
        return DepthwiseConv3dFn.apply(x, self.weight, self.stride, self.padding)


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
    k_t, k_h, k_w = conv.kernel_size
    s_t, s_h, s_w = conv.stride
    p_t, p_h, p_w = conv.padding
    taps = (
        tap_weights(k_t, s_t, p_t)[:, None, None]
        * tap_weights(k_h, s_h, p_h)[None, :, None]
        * tap_weights(k_w, s_w, p_w)[None, None, :]
    )
    weight = conv.weight[:, 0]  # (C, kT, kH, kW); depthwise: one input channel per group
    return (weight * taps.to(dtype=weight.dtype, device=weight.device)).sum(dim=(1, 2, 3))


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
    cls_tok = tensor[:, :, :start]
    patches = tensor[:, :, start : start + n_patch]
    extra = tensor[:, :, start + n_patch :]

    grid = patches.reshape(b * n, t, h, w, c).permute(0, 4, 1, 2, 3)
    grid = pool(grid)
    new_thw = [int(grid.shape[2]), int(grid.shape[3]), int(grid.shape[4])]
    patches = grid.reshape(b, n, grid.shape[1], -1).transpose(2, 3)

    if extra.shape[2] > 0 and isinstance(pool, nn.Conv3d):
        extra = extra * conv_constant_volume_scale(pool).to(extra.dtype)

    out = torch.cat((cls_tok, patches, extra), dim=2)
    if norm is not None:
        out = norm(out)
    if squeeze:
        out = out.squeeze(1)
    return out, new_thw
