"""fvcore FLOP handles for fused attention ops, so SDPA models report the same GFLOPs as the
explicit ``softmax(QKᵀ)V`` path (fvcore's defaults do not know these ops and would count 0).

Convention (fvcore/PySlowFast): one multiply–accumulate = one FLOP; softmax, scaling and the mask
add are not counted, exactly like the explicit path where only the two matmuls are counted.
Usage: ``add_attention_flop_handles(FlopCountAnalysis(model, inputs))``.
"""
from __future__ import annotations

from typing import Any

from fvcore.nn.jit_handles import get_shape

SDPA_OPS = (
    "aten::scaled_dot_product_attention",
    "aten::_scaled_dot_product_flash_attention_for_cpu",
    "aten::_scaled_dot_product_flash_attention",
    "aten::_scaled_dot_product_efficient_attention",
    "aten::_scaled_dot_product_cudnn_attention",
    "aten::_scaled_dot_product_attention_math",
    "aten::_scaled_dot_product_fused_attention_overrideable",
)


def sdpa_flop_jit(inputs: list[Any], outputs: list[Any]) -> int:
    """FLOPs of ``softmax(q kᵀ) v`` for q ``(..., Lq, E)``, k ``(..., Lk, E)``, v ``(..., Lk, Ev)``:
    ``batch · Lq · Lk · (E + Ev)``."""
    q_shape, k_shape, v_shape = get_shape(inputs[0]), get_shape(inputs[1]), get_shape(inputs[2])
    *batch, l_q, e = q_shape
    l_k = k_shape[-2]
    e_v = v_shape[-1]
    n = 1
    for d in batch:
        n *= d
    return n * l_q * l_k * (e + e_v)


ATTENTION_FLOP_HANDLES = {op: sdpa_flop_jit for op in SDPA_OPS}


def add_attention_flop_handles(analysis: Any) -> Any:
    """Registers the SDPA handles on a ``fvcore.nn.FlopCountAnalysis`` and returns it."""
    return analysis.set_op_handle(**ATTENTION_FLOP_HANDLES)
