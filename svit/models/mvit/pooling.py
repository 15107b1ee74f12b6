"""Attention pooling over the patch grid, with a CLS token in front and extra (object) tokens behind.

Token layout everywhere in MViT/SViT: ``[CLS?] + T·H·W patch tokens (raster order) + extra tokens``.
Only the patch tokens live on the grid and are pooled. Extra tokens (SViT's object tokens) are
never downsampled; when the pooling operator is a depthwise Conv3d the original code broadcast each
object token into a kernel-sized constant volume, convolved it and averaged the outputs. That is a
per-channel rescaling whose factor depends only on the conv weights, stride and padding, so it is
computed here directly (``conv_constant_volume_scale``) instead of running the convolution.

The depthwise pooling convs are ``PoolConv3d`` modules (an ``nn.Conv3d``, same parameter names) whose
``impl`` picks how the SAME convolution is computed (see ``depthwise_conv3d``): "plain" (``F.conv3d``
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

from svit.models.mvit.rel_pos import cached_constant

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


def _conv_out_size(size: int, k: int, s: int, p: int) -> int:
    return (size + 2 * p - k) // s + 1


@torch.library.custom_op("svit::depthwise_conv3d", mutates_args=())
def depthwise_conv3d(x: torch.Tensor, weight: torch.Tensor, stride: list[int], padding: list[int]) -> torch.Tensor:
    """Depthwise Conv3d (no bias, dilation 1) on the device's fast kernels (module docstring).

    A registered operator rather than an ``autograd.Function`` so that ``torch.compile`` keeps it as
    one opaque call: inductor would otherwise lower the conv back to cuDNN's slow bf16 kernels."""
    with _no_cudnn(x.is_cuda):
        return F.conv3d(x, weight, None, stride, padding, 1, weight.shape[0])


@depthwise_conv3d.register_fake
def _(x, weight, stride, padding):
    k = weight.shape[2:]
    size = [_conv_out_size(x.shape[2 + i], k[i], stride[i], padding[i]) for i in range(3)]
    return x.new_empty(x.shape[0], weight.shape[0], *size)


@torch.library.custom_op("svit::depthwise_conv3d_backward", mutates_args=())
def depthwise_conv3d_backward(
    grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, stride: list[int], padding: list[int],
    need_x: bool, need_w: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(dL/dx, dL/dW) of ``depthwise_conv3d``; a gradient not asked for comes back empty."""
    groups = weight.shape[0]
    empty = x.new_empty(0)
    if x.is_cuda:
        with _no_cudnn(True):
            gx, gw, _ = torch.ops.aten.convolution_backward(
                grad_out, x, weight, None, stride, padding, [1, 1, 1], False, [0, 0, 0], groups,
                [need_x, need_w, False],
            )
        return (gx if need_x else empty), (gw if need_w else empty)
    gx = gw = empty
    if need_x:
        strided = any(s > 1 for s in stride)
        g, xi = (grad_out.contiguous(), x.contiguous()) if strided else (grad_out, x)
        gx = torch.ops.aten.convolution_backward(
            g, xi, weight, None, stride, padding, [1, 1, 1], False, [0, 0, 0], groups, [True, False, False]
        )[0]
    if need_w:
        gw = _depthwise_weight_grad_cpu(x, grad_out, weight.shape, stride, padding)
    return gx, gw


@depthwise_conv3d_backward.register_fake
def _(grad_out, x, weight, stride, padding, need_x, need_w):
    return (torch.empty_like(x) if need_x else x.new_empty(0)), (torch.empty_like(weight) if need_w else x.new_empty(0))


def _setup_context(ctx, inputs, output) -> None:
    x, weight, stride, padding = inputs
    ctx.save_for_backward(x, weight)
    ctx.stride, ctx.padding = list(stride), list(padding)


def _backward(ctx, grad_out):
    x, weight = ctx.saved_tensors
    need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    gx, gw = depthwise_conv3d_backward(grad_out, x, weight, ctx.stride, ctx.padding, need_x, need_w)
    return (gx if need_x else None), (gw if need_w else None), None, None


depthwise_conv3d.register_autograd(_backward, setup_context=_setup_context)


def fast_depthwise_conv3d(x: torch.Tensor, weight: torch.Tensor, stride, padding) -> torch.Tensor:
    """``depthwise_conv3d`` with the cast autocast would apply to a conv3d done here (a custom operator
    is not autocast): bf16/fp16 kernels under autocast, as ``nn.Conv3d`` would run."""
    dev = x.device.type
    if torch.is_autocast_enabled(dev):
        dtype = torch.get_autocast_dtype(dev)
        x, weight = x.to(dtype), weight.to(dtype)
    return depthwise_conv3d(x, weight, list(stride), list(padding))


class PoolConv3d(nn.Conv3d):
    """The depthwise pooling conv of MViT attention (``groups == channels``, no bias); ``impl``:
    "plain" = ``nn.Conv3d``; "fast" = ``depthwise_conv3d``; "auto" = "fast" except while traced by
    ``torch.jit`` (FLOP counting, export), which records the plain conv."""

    impl: str = "auto"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        impl = self.impl
        if impl == "auto":
            impl = "plain" if torch.jit.is_tracing() or torch.jit.is_scripting() else "fast"
        if impl == "plain" or x.device.type not in ("cpu", "cuda"):
            return super().forward(x)
        return fast_depthwise_conv3d(x, self.weight, self.stride, self.padding)


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

    grid = patches.reshape(b * n, t, h, w, c).permute(0, 4, 1, 2, 3)
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
