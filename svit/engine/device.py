"""Where a step's tensors live and in which precision it runs: batches moved to the device, and the
autocast of TRAIN.MIXED_PRECISION (used by the trainer, the evaluator and tasks alike, so it has its
own module rather than living in one of them)."""
from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch
from fvcore.common.config import CfgNode


def to_device(batch: Any, device: torch.device) -> Any:
    """Moves every tensor of a batch (nested dicts/lists/tuples too) to ``device``, non-blocking."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def amp_dtype(cfg: CfgNode) -> torch.dtype | None:
    """The autocast dtype of TRAIN.MIXED_PRECISION (bf16 or fp16), or None without it."""
    if not cfg.TRAIN.MIXED_PRECISION:
        return None
    return torch.bfloat16 if cfg.TRAIN.MIXED_PRECISION_DTYPE == "bfloat16" else torch.float16


def autocast(cfg: CfgNode, device: torch.device):
    """torch.amp autocast for TRAIN.MIXED_PRECISION (bf16 or fp16), else a no-op context."""
    dtype = amp_dtype(cfg)
    return nullcontext() if dtype is None else torch.autocast(device_type=device.type, dtype=dtype)
