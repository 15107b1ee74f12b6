"""Parameter counts and fvcore FLOPs of any ``nn.Module`` on given inputs.

Knows nothing of svit's models or configs, so both the engine (the count logged at the start of a
run, ``svit.engine.model_info``) and the tools (``tools/model_info.py``, ``tools/model_zoo.py``,
``tools/benchmark.py``'s MFU) use it from here.

fvcore traces the model with torch.jit; models that return dicts are wrapped to return a tuple of
their tensors. fvcore's convention (PySlowFast, Video Swin, UniFormer report theirs this way): one
multiply-add = one flop; convolutions, matmuls, linear layers, einsum, normalisation layers and
upsampling are counted, elementwise arithmetic, activations, pooling, reductions and data movement
are not. fvcore's built-in table misses ops our models trace to (fused attention, ``baddbmm``, 1-D
and 3-D upsampling and adaptive pooling) and miscounts broadcast ``matmul``; ``OP_HANDLES`` adds
or fixes them in the same convention, and ``NOT_COUNTED`` names the ops that stay at zero on
purpose, so that ``flop_count`` can report any op left over (``uncounted``) instead of silently
counting it as zero.
"""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import get_shape

from svit.utils import flop_handles


class _TensorOutputs(nn.Module):
    """Makes dict/list outputs traceable: returns a flat tuple of the output tensors."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor):
        out = self.model(x)
        if isinstance(out, torch.Tensor):
            return out
        if isinstance(out, dict):
            return tuple(v for _, v in sorted(out.items()) if isinstance(v, torch.Tensor))
        return tuple(v for v in out if isinstance(v, torch.Tensor))


def extra_op_handles() -> dict[str, Any]:
    """Op handles that model families add in ``svit.utils.flop_handles`` (e.g. SDPA for MViT).

    Reads its ``ATTENTION_FLOP_HANDLES`` and, where a family adds one, its ``HANDLES`` dict (op name ->
    handle), at each call; without them fused attention would count as 0 FLOPs.
    """
    handles: dict[str, Any] = {}
    for name in ("ATTENTION_FLOP_HANDLES", "HANDLES"):
        handles.update(getattr(flop_handles, name, None) or {})
    return handles


def _shape(value: Any) -> list[int]:
    return list(get_shape(value))


def matmul_flop(inputs: list[Any], outputs: list[Any]) -> int:
    """``aten::matmul`` with numpy broadcasting and 1-D operands: batch · n · k · m multiply-adds,
    the batch being the broadcast of both batch shapes (fvcore's handle uses only the first
    operand's, so ``(1, H, N, d) @ (B, H, d, M)`` counted B times too few, and 1-D operands fail)."""
    a, b = _shape(inputs[0]), _shape(inputs[1])
    if len(a) == 1:
        a = [1, a[0]]
    if len(b) == 1:
        b = [b[0], 1]
    if a[-1] != b[-2]:
        raise ValueError(f"matmul of {a} and {b}: inner dimensions differ")
    batch = torch.broadcast_shapes(torch.Size(a[:-2]), torch.Size(b[:-2]))
    return math.prod(batch) * a[-2] * a[-1] * b[-1]


def baddbmm_flop(inputs: list[Any], outputs: list[Any]) -> int:
    """``aten::baddbmm(input, b1 (B, n, k), b2 (B, k, m))``: B · n · k · m (the add is not counted,
    as for ``addmm``)."""
    b1, b2 = _shape(inputs[1]), _shape(inputs[2])
    return b1[0] * b1[1] * b1[2] * b2[2]


def mv_flop(inputs: list[Any], outputs: list[Any]) -> int:
    """``aten::mv(matrix (n, k), vector (k,))``: n · k multiply-adds (the jit trace records a matmul with
    a 1-D operand as ``mv``, e.g. MViT's 1-frame relative positions at a 6x6 pooled grid)."""
    n, k = _shape(inputs[0])
    return n * k


def per_output_flop(points: int):
    """Resampling that reads ``points`` inputs per output element (fvcore: nearest 1, bilinear 4)."""

    def handle(inputs: list[Any], outputs: list[Any]) -> int:
        return math.prod(_shape(outputs[0])) * points

    return handle


def per_input_flop(inputs: list[Any], outputs: list[Any]) -> int:
    """Adaptive average pooling: one add per input element (fvcore's rule for the 2-D op)."""
    return math.prod(_shape(inputs[0]))


# Ops that fvcore's table lacks or miscounts, in its convention (one multiply-add = one flop).
OP_HANDLES: dict[str, Any] = {
    "aten::matmul": matmul_flop,
    "aten::baddbmm": baddbmm_flop,
    "aten::mv": mv_flop,
    "aten::upsample_nearest1d": per_output_flop(1),
    "aten::upsample_nearest3d": per_output_flop(1),
    "aten::upsample_linear1d": per_output_flop(2),
    "aten::upsample_trilinear3d": per_output_flop(8),
    "aten::upsample_bicubic2d": per_output_flop(16),
    "aten::adaptive_avg_pool1d": per_input_flop,
    "aten::adaptive_avg_pool3d": per_input_flop,
}

# Ops counted as zero by fvcore's convention (elementwise arithmetic and activations, pooling,
# reductions, comparisons, data movement). Registered as ignored so that ``flop_count`` reports only
# the ops nobody decided about.
NOT_COUNTED: tuple[str, ...] = tuple(f"aten::{op}" for op in (
    "add add_ sub sub_ rsub mul mul_ div div_ neg exp exp_ log sqrt rsqrt pow abs sin cos erf tanh "
    "sigmoid sigmoid_ silu silu_ gelu gelu_ relu relu_ hardswish hardsigmoid softmax log_softmax "
    "clamp_min clamp_max mean sum amax argmax cumsum norm max_pool1d max_pool2d max_pool3d avg_pool1d "
    "avg_pool2d avg_pool3d adaptive_max_pool2d adaptive_max_pool3d pad fill_ zero_ zeros_like ones_like "
    "ne lt le where masked_fill_ repeat expand_as flip clone index_select scatter unflatten "
    "dropout_ feature_dropout alpha_dropout"
).split())


def op_handles() -> dict[str, Any]:
    """Every handle ``gflops`` registers: the not-counted ops, ours, then the families'
    ``svit.utils.flop_handles`` (fused attention), which win on a clash."""
    handles: dict[str, Any] = {op: None for op in NOT_COUNTED}
    handles.update(OP_HANDLES)
    handles.update(extra_op_handles())
    return handles


def count_params(model: nn.Module) -> tuple[int, int]:
    """(all parameters, trainable parameters)."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return total, trainable


@dataclass
class FlopReport:
    """fvcore's count of one forward: ``total`` flops (multiply-adds), flops ``by_operator``, and
    ``uncounted`` ops (name -> calls) that have no handle and are not in ``NOT_COUNTED``."""

    total: float
    by_operator: dict[str, float] = field(default_factory=dict)
    uncounted: dict[str, int] = field(default_factory=dict)


@torch.no_grad()
def flop_count(model: nn.Module, inputs: torch.Tensor) -> FlopReport:
    """Traces ``model(inputs)`` in eval mode (mode restored) and counts it with fvcore and
    ``op_handles()``."""
    was_training = model.training
    model.eval()
    fvlog = logging.getLogger("fvcore")
    old = fvlog.level
    fvlog.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analysis = FlopCountAnalysis(_TensorOutputs(model), (inputs,))
            analysis.set_op_handle(**op_handles())
            analysis.unsupported_ops_warnings(False)
            analysis.uncalled_modules_warnings(False)
            analysis.tracer_warnings("none")
            total = analysis.total()
            report = FlopReport(float(total), {k: float(v) for k, v in analysis.by_operator().items()},
                                dict(analysis.unsupported_ops()))
    finally:
        fvlog.setLevel(old)
        model.train(was_training)
    return report


def gflops(model: nn.Module, inputs: torch.Tensor) -> float:
    """fvcore FLOPs (one multiply-add = one flop, fvcore's convention) in units of 1e9."""
    return flop_count(model, inputs).total / 1e9
