"""Evaluation forwards replayed from CUDA graphs (``TEST.CUDA_GRAPHS``).

An MViT/SViT evaluation forward launches ~1,500 small kernels; at batch 8 on an H200 the host takes
about twice as long to launch them as the GPU takes to run them. A CUDA graph records the launches
once per input shape and replays them with one call, so the GPU no longer waits for Python.

``CudaGraphForward`` wraps a model for no-grad, eval-mode calls on CUDA tensors: the first call with
a new input shape warms up on a side stream (cuDNN/cuBLAS handles, the models' cached index tensors),
captures one graph into a private memory pool and replays it; later calls copy the input into the
graph's static buffer, replay and return clones of the outputs (the static outputs are overwritten by
the next replay). At most ``max_graphs`` shapes are captured (e.g. the full batch and the last, smaller
one); other shapes, grad-enabled or training-mode calls and CPU tensors run the model directly.
Autocast is applied inside the graph (``dtype``), with its weight-cast cache off, since a cached cast
would be freed when the caller's autocast context exits while the graph still reads it.
Parameters are read in place at every replay, so in-place updates (optimizer steps, EMA, loading a
state dict) are seen; replacing a parameter tensor object is not (call ``reset()``).
"""
from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

import torch
import torch.nn as nn
from torch.utils._pytree import tree_map

logger = logging.getLogger(__name__)


def _clone(v: Any) -> Any:
    return v.clone() if torch.is_tensor(v) else v


class CudaGraphForward(nn.Module):
    """``forward(x)`` = ``model(x)`` (eval, no grad) from a CUDA graph per input shape."""

    def __init__(self, model: nn.Module, dtype: torch.dtype | None = None, max_graphs: int = 4) -> None:
        super().__init__()
        self.model = model
        self.dtype = dtype
        self.max_graphs = max_graphs
        self._graphs: dict[tuple, tuple[torch.Tensor, torch.cuda.CUDAGraph, Any]] = {}

    def reset(self) -> None:
        """Drops every captured graph (and its memory pool)."""
        self._graphs.clear()

    def _run(self, x: torch.Tensor) -> Any:
        ctx = torch.autocast("cuda", dtype=self.dtype, cache_enabled=False) if self.dtype else nullcontext()
        with ctx:
            return self.model(x)

    def _capture(self, x: torch.Tensor):
        static_x = x.clone()
        side = torch.cuda.Stream(device=x.device)
        side.wait_stream(torch.cuda.current_stream(x.device))
        with torch.cuda.stream(side):
            for _ in range(2):
                self._run(static_x)
        torch.cuda.current_stream(x.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        # thread_local: the DataLoader's pin-memory thread may call CUDA while this thread captures
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            static_out = self._run(static_x)
        logger.info("captured a CUDA graph of the evaluation forward for input %s", tuple(x.shape))
        return static_x, graph, static_out

    def forward(self, x: torch.Tensor) -> Any:
        if not x.is_cuda or torch.is_grad_enabled() or self.model.training:
            return self.model(x)
        key = (tuple(x.shape), x.dtype, x.device, self.dtype)
        entry = self._graphs.get(key)
        if entry is None:
            if len(self._graphs) >= self.max_graphs:
                return self._run(x)
            entry = self._graphs[key] = self._capture(x)
        static_x, graph, static_out = entry
        static_x.copy_(x)
        graph.replay()
        return tree_map(_clone, static_out)


_ATTR = "_svit_cuda_graph_forward"


def graphed_eval(cfg, model: nn.Module, device: torch.device, dtype: torch.dtype | None = None) -> nn.Module:
    """``model`` wrapped in a ``CudaGraphForward`` with autocast ``dtype`` (the caller's: the evaluators'
    TRAIN.MIXED_PRECISION dtype, None for predict's fp32) when ``TEST.CUDA_GRAPHS`` is on and ``device``
    is CUDA, else ``model``. One wrapper per model, kept on the model (outside its submodules, so not in
    its state dict) and reused across validation epochs."""
    if not cfg.TEST.CUDA_GRAPHS:
        return model
    if device.type != "cuda":
        if not getattr(model, _ATTR + "_warned", False):
            logger.warning("TEST.CUDA_GRAPHS needs a CUDA device; evaluating on %s without graphs", device)
            object.__setattr__(model, _ATTR + "_warned", True)
        return model
    wrapper = getattr(model, _ATTR, None)
    if wrapper is None or wrapper.dtype != dtype:
        wrapper = CudaGraphForward(model, dtype)
        object.__setattr__(model, _ATTR, wrapper)  # not registered as a submodule
    return wrapper
