"""The MViT/SViT block MLP (fc1 → GELU → fc2), storing one hidden activation for backward instead of two.

Autograd keeps both the fc1 output ``h`` (for GELU's backward) and ``GELU(h)`` (for fc2's weight
gradient): two tensors four times the token width in every block, the largest saved activations of an
MViTv2 training step. ``gelu_linear`` keeps only ``h`` and recomputes ``GELU(h)`` in backward (one
elementwise kernel per block), which cut peak training memory by about a tenth at the same speed on an
H200. On CPU the exact GELU's recomputation costs more than the memory is worth (the MLP's step was
10-25% slower), so the lean path runs on CUDA tensors only (``lean_devices``).
Parameter names (``fc1``, ``fc2``) are timm's ``Mlp``, so checkpoints load unchanged; with dropout
(``drop > 0``) the plain path runs.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class GeluLinear(torch.autograd.Function):
    """``linear(gelu(h), weight, bias)`` saving only ``h``. Under autocast the linear runs in the
    autocast dtype exactly as ``F.linear`` would (it is called inside forward); the weight and bias
    gradients come back in the parameters' dtype."""

    @staticmethod
    def forward(ctx, h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        out = F.linear(F.gelu(h), weight, bias)
        ctx.save_for_backward(h, weight)
        ctx.has_bias = bias is not None
        ctx.out_dtype = out.dtype
        return out

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        h, weight = ctx.saved_tensors
        dtype = ctx.out_dtype  # the dtype the linear ran in (autocast's, or the inputs')
        with torch.autocast(grad_out.device.type, enabled=False):
            a = F.gelu(h).to(dtype)
            g = grad_out.to(dtype)
            w = weight.to(dtype)
            g2 = g.reshape(-1, g.shape[-1])
            grad_w = (g2.t() @ a.reshape(-1, a.shape[-1])).to(weight.dtype) if ctx.needs_input_grad[1] else None
            grad_b = g2.sum(0).to(weight.dtype) if ctx.has_bias and ctx.needs_input_grad[2] else None
            grad_h = None
            if ctx.needs_input_grad[0]:
                grad_a = (g @ w).to(h.dtype)
                grad_h = torch.ops.aten.gelu_backward(grad_a, h)
        return grad_h, grad_w, grad_b


class GeluMlp(nn.Module):
    """fc1 → GELU (exact) → dropout → fc2 → dropout; timm ``Mlp`` names and initialisation."""

    def __init__(self, in_features: int, hidden_features: int, out_features: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop2 = nn.Dropout(drop)
        self.lean = drop == 0.0
        self.lean_devices = ("cuda",)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(x)
        if self.lean and h.device.type in self.lean_devices and torch.is_grad_enabled() and not torch.jit.is_tracing():
            return GeluLinear.apply(h, self.fc2.weight, self.fc2.bias)
        return self.drop2(self.fc2(self.drop1(self.act(h))))
