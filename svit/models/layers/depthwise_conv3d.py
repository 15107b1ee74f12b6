"""Depthwise Conv3d as a registered operator, ``svit::depthwise_conv3d``, for every family.

"Depthwise" here means ``groups == in_channels``; the weight is ``(C*m, 1, kT, kH, kW)`` with a channel
multiplier ``m`` >= 1 (output channel ``o`` reads input channel ``o // m``), any stride, zero padding and
dilation, and an optional bias. The operator computes exactly ``F.conv3d`` of those arguments; what it
changes is which kernels do it:

* CUDA: forward and backward with cuDNN off, i.e. on PyTorch's native depthwise-3D kernels. cuDNN's bf16
  depthwise Conv3d weight-gradient kernels took 84% of an SViT training step on an H200 and the native
  kernels made that step 1.47x faster (issue 13). The native kernels take the multiplier and dilation.
* CPU: the input gradient of a strided conv as a stride-1 conv of the upsampled output gradient where that
  is faster (``use_upsampled_input_grad``, depthwise_input_grad.py), else from aten (on contiguous tensors
  when strided); the weight gradient either
  as one grouped convolution of the input with the output gradient (``grouped_conv_weight_grad``,
  oneDNN's own depthwise weight gradient was ~20x slower on MViT's 56x56 pooling grids) at stride 1, as
  per-tap products on channels-last tensors with a small stride (``tap_weight_grad``,
  depthwise_weight_grad.py), or from aten, chosen per shape by ``use_grouped_weight_grad`` and
  ``use_tap_weight_grad`` (measured: see those functions).

A custom operator, not an ``autograd.Function``, so that ``torch.compile`` keeps it as one opaque call:
inductor would otherwise lower the conv back to cuDNN.
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

from svit.models.layers.depthwise_input_grad import CHANNELS_LAST, upsampled_input_grad, use_upsampled_input_grad
from svit.models.layers.depthwise_weight_grad import tap_weight_grad, use_tap_weight_grad

__all__ = [
    "depthwise_conv3d", "depthwise_conv3d_backward", "fast_depthwise_conv3d", "grouped_conv_weight_grad",
    "use_grouped_weight_grad",
]


def _no_cudnn(active: bool):
    """cuDNN off (only this conv's kernels are affected), keeping the other cuDNN settings."""
    if not active:
        return contextlib.nullcontext()
    b = torch.backends.cudnn
    return b.flags(enabled=False, benchmark=b.benchmark, deterministic=b.deterministic, allow_tf32=b.allow_tf32)


def _out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _check(x: torch.Tensor, weight: torch.Tensor) -> None:
    if x.dim() != 5 or weight.dim() != 5 or weight.shape[1] != 1 or weight.shape[0] % x.shape[1] != 0:
        raise ValueError(
            f"svit::depthwise_conv3d needs x (N, C, T, H, W) and weight (C*m, 1, kT, kH, kW); "
            f"got x {tuple(x.shape)}, weight {tuple(weight.shape)}"
        )


def grouped_conv_weight_grad(
    x: torch.Tensor, grad_out: torch.Tensor, kernel: list[int], stride: list[int], padding: list[int],
    dilation: list[int],
) -> torch.Tensor:
    """dL/dW ``(C*m, 1, *kernel)`` of a depthwise conv3d, as one grouped conv3d.

    With ``xp`` the zero-padded input, ``dW[c·m+j, a] = Σ_n Σ_o xp[n, c, o·s + a·d] · g[n, c·m+j, o]``
    (per axis: s stride, d dilation, a tap, o output index). For one (c, n) pair that is a
    correlation of ``xp[n, c]`` with the kernel ``g[n, c·m+j]`` dilated by ``s``, read with step ``d``:
    so a conv with ``groups = C·N`` (one input channel, m output channels each), stride ``d`` and
    dilation ``s`` gives every tap at output positions ``0..k-1``; summing over n gives dW.
    """
    n, c = x.shape[:2]
    m = grad_out.shape[1] // c
    (p_t, p_h, p_w) = padding
    xp = F.pad(x, (p_w, p_w, p_h, p_h, p_t, p_t))
    xp = xp.transpose(0, 1).reshape(1, c * n, *xp.shape[2:])  # channel (c, n)
    kern = grad_out.reshape(n, c, m, *grad_out.shape[2:]).transpose(0, 1).reshape(c * n * m, 1, *grad_out.shape[2:])
    out = F.conv3d(xp, kern.to(xp.dtype), None, dilation, 0, stride, c * n)  # channel (c, n, j)
    out = out[:, :, : kernel[0], : kernel[1], : kernel[2]]
    acc = torch.float64 if x.dtype == torch.float64 else torch.float32
    return out.reshape(c, n, m, *kernel).sum(1, dtype=acc).reshape(c * m, 1, *kernel).to(x.dtype)


def use_grouped_weight_grad(kernel: list[int], stride: list[int]) -> bool:
    """Whether the CPU weight gradient is faster as ``grouped_conv_weight_grad`` than from aten (oneDNN).

    Measured per conv on the shared 2-core machine, fp32 (docs/ARCHITECTURE.md, "Depthwise Conv3d"): for
    stride 1 and a kernel with a spatial extent (UniFormer's 3x3x3 / 5x5x5, MViT's stride-1 pooling, dilated
    3x3x3) the grouped conv was 2.9-8.6x faster at one thread, and at two threads aten's time stalled for
    10-100x in some rounds while the grouped conv's did not; with a stride (then the grouped conv is dilated by
    it and computes taps it drops) it was 1.8-3.6x slower, and on most purely temporal ``(k, 1, 1)`` kernels
    (CNN, Side4Video, H2CN) 1.3-3.3x slower: there aten's weight gradient is used.
    """
    return kernel[1] * kernel[2] > 1 and all(s == 1 for s in stride)


@torch.library.custom_op("svit::depthwise_conv3d", mutates_args=())
def depthwise_conv3d(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, stride: list[int], padding: list[int],
    dilation: list[int],
) -> torch.Tensor:
    """``F.conv3d(x, weight, bias, stride, padding, dilation, groups=C)`` on the fast kernels (module doc)."""
    _check(x, weight)
    with _no_cudnn(x.is_cuda):
        return F.conv3d(x, weight, bias, stride, padding, dilation, x.shape[1])


@depthwise_conv3d.register_fake
def _(x, weight, bias, stride, padding, dilation):
    _check(x, weight)
    k = weight.shape[2:]
    size = [_out_size(x.shape[2 + i], k[i], stride[i], padding[i], dilation[i]) for i in range(3)]
    return x.new_empty(x.shape[0], weight.shape[0], *size)


def _or_empty(t: torch.Tensor | None, needed: bool, like: torch.Tensor) -> torch.Tensor:
    """``t`` if it was asked for, else a fresh empty tensor (an operator's outputs may not alias each other)."""
    return t if needed and t is not None else like.new_empty(0)


@torch.library.custom_op("svit::depthwise_conv3d_backward", mutates_args=())
def depthwise_conv3d_backward(
    grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, stride: list[int], padding: list[int],
    dilation: list[int], need_x: bool, need_w: bool, need_b: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dL/dx, dL/dW, dL/db) of ``depthwise_conv3d``; a gradient not asked for comes back empty."""
    groups = x.shape[1]
    conv_args = (stride, padding, dilation, False, [0, 0, 0], groups)
    if x.is_cuda:
        with _no_cudnn(True):
            gx, gw, gb = torch.ops.aten.convolution_backward(
                grad_out, x, weight, [weight.shape[0]] if need_b else None, *conv_args, [need_x, need_w, need_b]
            )
        return _or_empty(gx, need_x, x), _or_empty(gw, need_w, x), _or_empty(gb, need_b, x)
    kernel = list(weight.shape[2:])
    grouped_w = need_w and use_grouped_weight_grad(kernel, stride)
    tap_w = need_w and not grouped_w and use_tap_weight_grad(kernel, stride, weight.shape[0] // groups, grad_out)
    aten_w = need_w and not grouped_w and not tap_w
    gx = gw = gb = None
    upsampled_x = need_x and use_upsampled_input_grad(kernel, stride, padding, dilation)
    aten_x = need_x and not upsampled_x
    if aten_x or aten_w:
        strided = any(s > 1 for s in stride)
        g, xi = (grad_out.contiguous(), x.contiguous()) if strided else (grad_out, x)
        gx, gw, _ = torch.ops.aten.convolution_backward(g, xi, weight, None, *conv_args, [aten_x, aten_w, False])
    if upsampled_x:
        gx = upsampled_input_grad(grad_out, x, weight, stride, padding, dilation)
    if grouped_w:
        gw = grouped_conv_weight_grad(x, grad_out, kernel, stride, padding, dilation)
    if tap_w:
        gw = tap_weight_grad(x, grad_out, kernel, stride, padding, dilation)
    if need_b:
        acc = torch.float64 if grad_out.dtype == torch.float64 else torch.float32
        gb = grad_out.sum((0, 2, 3, 4), dtype=acc).to(grad_out.dtype)
    return _or_empty(gx, need_x, x), _or_empty(gw, need_w, x), _or_empty(gb, need_b, x)


@depthwise_conv3d_backward.register_fake
def _(grad_out, x, weight, stride, padding, dilation, need_x, need_w, need_b):
    upsampled = x.device.type == "cpu" and use_upsampled_input_grad(list(weight.shape[2:]), stride, padding, dilation)
    return (
        (torch.empty(x.shape, dtype=x.dtype, device=x.device, memory_format=CHANNELS_LAST) if upsampled
         else torch.empty_like(x)) if need_x else x.new_empty(0),
        torch.empty_like(weight) if need_w else x.new_empty(0),
        grad_out.new_empty(weight.shape[0]) if need_b else x.new_empty(0),
    )


def _setup_context(ctx, inputs, output) -> None:
    x, weight, bias, stride, padding, dilation = inputs
    ctx.save_for_backward(x, weight)
    ctx.conv = (list(stride), list(padding), list(dilation))


def _backward(ctx, grad_out):
    x, weight = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    gx, gw, gb = depthwise_conv3d_backward(grad_out, x, weight, *ctx.conv, need_x, need_w, need_b)
    return (gx if need_x else None), (gw if need_w else None), (gb if need_b else None), None, None, None


depthwise_conv3d.register_autograd(_backward, setup_context=_setup_context)


def fast_depthwise_conv3d(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=(1, 1, 1), padding=(0, 0, 0),
    dilation=(1, 1, 1),
) -> torch.Tensor:
    """``depthwise_conv3d`` with the cast autocast would apply to a conv3d done here (a custom operator
    is not autocast): bf16/fp16 kernels under autocast, as ``nn.Conv3d`` would run."""
    dev = x.device.type
    if torch.is_autocast_enabled(dev):
        dtype = torch.get_autocast_dtype(dev)
        x, weight = x.to(dtype), weight.to(dtype)
        bias = bias.to(dtype) if bias is not None else None
    return depthwise_conv3d(x, weight, bias, list(stride), list(padding), list(dilation))
