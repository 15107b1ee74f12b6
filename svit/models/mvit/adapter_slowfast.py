"""PySlowFast / eladb3-SViT checkpoints (``TRAIN.CHECKPOINT_TYPE slowfast``).

Our MViT/SViT keep PySlowFast's parameter names and shapes, so the only conversion is dropping a
DDP ``module.`` prefix; length changes of relative-position tables (another crop or frame count)
are handled by the model's ``adapt_checkpoint_state`` hook, which the loader calls.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY


@ADAPTER_REGISTRY.register("slowfast")
def slowfast_state_dict(
    state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport
) -> dict[str, torch.Tensor]:
    """Returns the state dict with any leading ``module.`` removed from the keys."""
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
