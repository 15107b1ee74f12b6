"""Parameters and GFLOPs of the run's model for one test view, logged when a run starts
(LOG_MODEL_INFO) and printed by ``tools/model_info.py``.

The counting itself is ``svit.utils.flops`` (fvcore, any module); this module adds what the config
says about the input (``svit.models.input_size``) and the rule that a failed count never stops a run.
"""
from __future__ import annotations

import logging
from typing import Any

import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.models.input_size import input_frames, test_view_input
from svit.utils.flops import count_params, gflops


def model_stats(cfg: CfgNode, model: nn.Module) -> dict[str, Any]:
    """{"params", "trainable_params", "gflops"} of ``model`` for one test view of ``cfg``."""
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
                cfg.DATA.INPUT_CHANNEL_NUM[0], input_frames(cfg), cfg.DATA.TEST_CROP_SIZE,
                cfg.DATA.TEST_CROP_SIZE)
    return stats
