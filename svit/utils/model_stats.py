"""Parameter and FLOP counts of any registered model (fvcore FlopCountAnalysis).

GFLOPs follow the PySlowFast / fvcore convention: one fused multiply-add counts as one FLOP, so
numbers are comparable with the model-zoo tables. Models returning dicts are wrapped so the tracer
sees a tuple of tensors; extra operator handles (e.g. scaled_dot_product_attention) are taken from
``svit.utils.flop_handles.HANDLES`` when that module exists, so model families can teach the
counter new ops without touching this file.
"""
from __future__ import annotations

import importlib
import logging
import warnings
from typing import Any, Callable

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode
from fvcore.nn import FlopCountAnalysis


class _TensorOutputs(nn.Module):
    """Makes a dict-returning model traceable: returns its tensor values as a tuple."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> Any:
        out = self.model(x)
        if isinstance(out, dict):
            return tuple(v for v in out.values() if isinstance(v, torch.Tensor))
        return out


def extra_op_handles() -> dict[str, Callable]:
    """Handles registered by model families in ``svit.utils.flop_handles`` (empty if absent)."""
    try:
        module = importlib.import_module("svit.utils.flop_handles")
    except ModuleNotFoundError as e:
        if e.name != "svit.utils.flop_handles":
            raise  # the module exists but is broken: say so instead of silently counting less
        return {}
    return dict(getattr(module, "HANDLES", {}))


def count_params(model: nn.Module) -> tuple[int, int]:
    """(all parameters, trainable parameters), shared tensors counted once."""
    seen: set[int] = set()
    total = trainable = 0
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        trainable += p.numel() if p.requires_grad else 0
    return total, trainable


def count_gflops(model: nn.Module, inputs: torch.Tensor) -> float:
    """fvcore GFLOPs of one forward pass on ``inputs`` in eval mode, without gradients.

    The model's train/eval mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    try:
        analysis = FlopCountAnalysis(_TensorOutputs(model), (inputs,))
        for name, handle in extra_op_handles().items():
            analysis.set_op_handle(name, handle)
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        analysis.tracer_warnings("none")
        fv_logger = logging.getLogger("fvcore")
        old_level = fv_logger.level
        fv_logger.setLevel(logging.ERROR)
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                total = analysis.total()
        finally:
            fv_logger.setLevel(old_level)
    finally:
        model.train(was_training)
    return total / 1e9


def test_view_shape(cfg: CfgNode) -> tuple[int, int, int, int, int]:
    """(1, C, T, H, W) of one test view: DATA.NUM_FRAMES frames at DATA.TEST_CROP_SIZE."""
    channels = int(cfg.DATA.INPUT_CHANNEL_NUM[0])
    size = int(cfg.DATA.TEST_CROP_SIZE)
    return (1, channels, int(cfg.DATA.NUM_FRAMES), size, size)


def model_stats(cfg: CfgNode, model: nn.Module) -> dict[str, float | int]:
    """``{"params", "trainable_params", "gflops"}`` for one test view of ``model``."""
    total, trainable = count_params(model)
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    x = torch.zeros(test_view_shape(cfg), device=device)
    return {"params": total, "trainable_params": trainable, "gflops": count_gflops(model, x)}
