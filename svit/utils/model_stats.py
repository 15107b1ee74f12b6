"""Parameter counts and fvcore GFLOPs of one test view, for any registered model.

fvcore traces the model with torch.jit; models that return dicts are wrapped to return a tuple of
their tensors, and fvcore's warnings about ops it cannot count are silenced (they are reported as
a list instead by ``unsupported_ops``).
"""
from __future__ import annotations

import logging
import warnings
from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode


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

    Reads its ``HANDLES`` dict (op name -> handle) and, under the name that module uses today,
    ``ATTENTION_FLOP_HANDLES``; without them fused attention would count as 0 FLOPs.
    """
    import importlib

    try:
        module = importlib.import_module("svit.utils.flop_handles")
    except ModuleNotFoundError as e:
        if e.name != "svit.utils.flop_handles":
            raise
        return {}
    handles: dict[str, Any] = {}
    for name in ("ATTENTION_FLOP_HANDLES", "HANDLES"):
        handles.update(getattr(module, name, None) or {})
    return handles


def count_params(model: nn.Module) -> tuple[int, int]:
    """(all parameters, trainable parameters)."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return total, trainable


def test_view_input(cfg: CfgNode) -> torch.Tensor:
    """A zero clip ``(1, C, NUM_FRAMES, TEST_CROP_SIZE, TEST_CROP_SIZE)``."""
    c = cfg.DATA.INPUT_CHANNEL_NUM[0]
    s = cfg.DATA.TEST_CROP_SIZE
    return torch.zeros(1, c, cfg.DATA.NUM_FRAMES, s, s)


@torch.no_grad()
def gflops(model: nn.Module, inputs: torch.Tensor) -> float:
    """fvcore FLOPs (one multiply-add = one flop, fvcore's convention) in units of 1e9."""
    from fvcore.nn import FlopCountAnalysis

    was_training = model.training
    model.eval()
    fvlog = logging.getLogger("fvcore")
    old = fvlog.level
    fvlog.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analysis = FlopCountAnalysis(_TensorOutputs(model), (inputs,))
            for op, handle in extra_op_handles().items():
                analysis.set_op_handle(op, handle)
            analysis.unsupported_ops_warnings(False)
            analysis.uncalled_modules_warnings(False)
            analysis.tracer_warnings("none")
            total = analysis.total()
    finally:
        fvlog.setLevel(old)
        model.train(was_training)
    return total / 1e9


def model_stats(cfg: CfgNode, model: nn.Module | None = None) -> dict[str, Any]:
    """{"params", "trainable_params", "gflops"} of the configured model for one test view."""
    if model is None:
        import svit.models  # noqa: F401
        from svit.models import build_model

        model = build_model(cfg)
    total, trainable = count_params(model)
    param = next(model.parameters(), None)
    x = test_view_input(cfg).to(param.device if param is not None else "cpu")  # model may be on GPU
    return {"params": total, "trainable_params": trainable, "gflops": gflops(model, x)}


def log_model_info(cfg: CfgNode, model: nn.Module, logger: logging.Logger) -> dict[str, Any] | None:
    """Logs parameters and GFLOPs at the start of a run (LOG_MODEL_INFO).

    Counting FLOPs traces the model; a model the tracer cannot handle must not stop a training
    run, so failures are logged as a warning and the parameter count is still reported.
    """
    total, trainable = count_params(model)
    try:
        stats = model_stats(cfg, model)
    except Exception as e:  # noqa: BLE001 - informative only
        logger.warning("Model %s: %.2f M params (%.2f M trainable); GFLOPs not counted: %s: %s",
                       cfg.MODEL.MODEL_NAME, total / 1e6, trainable / 1e6, type(e).__name__, e)
        return None
    logger.info("Model %s: %.2f M params (%.2f M trainable), %.3f GFLOPs per view (1x%d x %d x %dx%d)",
                cfg.MODEL.MODEL_NAME, total / 1e6, trainable / 1e6, stats["gflops"],
                cfg.DATA.INPUT_CHANNEL_NUM[0], cfg.DATA.NUM_FRAMES, cfg.DATA.TEST_CROP_SIZE,
                cfg.DATA.TEST_CROP_SIZE)
    return stats
