"""Training-memory probe: bytes of the tensors autograd keeps for backward.

On a CPU there is no ``max_memory_allocated``; the activation memory of a training step is what
the graph saves between forward and backward. ``saved_tensor_bytes`` counts it with
``torch.autograd.graph.saved_tensors_hooks`` (each storage once: views of one buffer share it).
Parameters, gradients and optimiser state come on top and are reported separately.
``python tools/side4video_memory.py --cfg configs/side4video/ssv2/vit_b16_f8.yaml --batch 2``
measures a recipe (B/16, 8x224: 683 MiB at batch 1, 1286 MiB at batch 2 in fp32 on CPU).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn


def saved_tensor_bytes(model: nn.Module, x: torch.Tensor, loss_fn: Callable | None = None) -> int:
    """Runs forward + backward of ``model`` on ``x`` and returns the bytes saved for backward."""
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        seen[s.data_ptr()] = max(seen.get(s.data_ptr(), 0), s.nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x)
        loss = loss_fn(out) if loss_fn is not None else out.float().sum()
    loss.backward()
    return sum(v for k, v in seen.items() if k != 0)
