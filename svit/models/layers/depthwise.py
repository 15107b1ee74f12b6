"""``DepthwiseConv3d``: an ``nn.Conv3d`` (same parameters, same state-dict keys) whose ``impl`` picks how the
same depthwise convolution is computed, and ``set_depthwise_conv_impl``, which turns every depthwise Conv3d
of any model into one (``MODEL.DEPTHWISE_CONV_IMPL``, applied by ``svit.engine.compile``).

Families keep building plain ``nn.Conv3d``; the switch is applied once after the model is built, by
swapping the module's class (parameters, buffers and hooks untouched), so checkpoints, adapters and FLOP
counts of every family are unchanged.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.models.layers.depthwise_conv3d import fast_depthwise_conv3d, use_grouped_weight_grad
from svit.models.layers.depthwise_input_grad import use_upsampled_input_grad

DEPTHWISE_CONV_IMPLS = ("auto", "fast", "plain")


def is_depthwise_conv3d(conv: nn.Module) -> bool:
    """True for a Conv3d with ``groups == in_channels > 1`` (any channel multiplier), zero padding given as
    numbers: the convolutions ``svit::depthwise_conv3d`` computes."""
    return (
        isinstance(conv, nn.Conv3d)
        and conv.in_channels > 1
        and conv.groups == conv.in_channels
        and conv.padding_mode == "zeros"
        and not isinstance(conv.padding, str)
    )


class DepthwiseConv3d(nn.Conv3d):
    """A depthwise ``nn.Conv3d``; ``impl``: "plain" = ``nn.Conv3d.forward``; "fast" = ``svit::depthwise_conv3d``
    (svit/models/layers/depthwise_conv3d.py); "auto" = "fast" on CUDA, and on CPU where the grouped-conv weight
    gradient (stride 1, kernel with a spatial extent) or the upsampled input gradient (strided, spatial kernel,
    stride product <= 8: MViT's (1,2,2) pooling) is the faster one (elsewhere the op would run the same aten
    kernels as plain), "plain" on other devices and while traced by ``torch.jit`` (FLOP counting, export),
    which then records an ordinary conv."""

    impl: str = "auto"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not is_depthwise_conv3d(self):
            raise ValueError(
                f"DepthwiseConv3d needs groups == in_channels > 1 and numeric zero padding; got in_channels "
                f"{self.in_channels}, groups {self.groups}, padding {self.padding!r}, "
                f"padding_mode {self.padding_mode!r}"
            )

    def resolved_impl(self, x: torch.Tensor) -> str:
        """"plain" or "fast": what ``forward`` runs for input ``x`` under the current ``impl``."""
        impl = self.impl
        if x.device.type not in ("cpu", "cuda") or torch.jit.is_tracing() or torch.jit.is_scripting():
            return "plain"
        if impl == "auto":
            kernel, stride = list(self.kernel_size), list(self.stride)
            cpu_fast = use_grouped_weight_grad(kernel, stride) or use_upsampled_input_grad(
                kernel, stride, list(self.padding), list(self.dilation))
            return "fast" if x.is_cuda or cpu_fast else "plain"
        return impl

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.resolved_impl(x) == "plain":
            return super().forward(x)
        return fast_depthwise_conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


def set_depthwise_conv_impl(model: nn.Module, impl: str) -> int:
    """Makes every depthwise Conv3d of ``model`` a ``DepthwiseConv3d`` running ``impl`` (one of
    ``DEPTHWISE_CONV_IMPLS``); returns how many there are. Only exact ``nn.Conv3d`` instances are converted
    (a subclass may have its own forward); existing ``DepthwiseConv3d`` modules just get ``impl``."""
    if impl not in DEPTHWISE_CONV_IMPLS:
        raise ValueError(f"MODEL.DEPTHWISE_CONV_IMPL must be one of {DEPTHWISE_CONV_IMPLS}, got {impl!r}")
    count = 0
    for m in model.modules():
        if type(m) is nn.Conv3d and is_depthwise_conv3d(m):
            m.__class__ = DepthwiseConv3d
        if isinstance(m, DepthwiseConv3d):
            m.impl = impl
            count += 1
    return count
