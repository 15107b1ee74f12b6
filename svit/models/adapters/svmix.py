"""Checkpoint adapter ``svmix``: weights of the SV-Mix project (ty-97/Seletive-Volume-Mix).

Its trainers save ``{"model": state_dict, ...}`` (or a bare state dict) from DDP wrappers. After
unwrapping and stripping ``module.``, each family maps the project's names of ITS model in
``model.adapt_svmix_state(state)`` when it defines one (Video Swin, UniFormer, ViViT: BACKBONES).
TSM-R50 (``conv1``, ``layerX.Y.convZ``, ``fc``), the R(2+1)D-R50 variant (``conv2``/``conv2_t``/``bn2``,
CNN.R2PLUS1D_EXPAND) and MViTv2 (PySlowFast names) already share our names, so for them the
mapping ends there. One project's format across five families, so it stays in the shared package
while each family's renaming stays in its model.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY


def _unwrap(state: dict, report: LoadReport) -> dict[str, torch.Tensor]:
    inner = state.get("model") if isinstance(state, dict) else None
    sd = inner if isinstance(inner, dict) else state
    if not isinstance(sd, dict) or not any(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"{report.path}: no SV-Mix model weights (expected {{'model': state}} or a state dict)")
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        if not isinstance(value, torch.Tensor):
            report.dropped.append((str(key), "not a tensor"))
            continue
        out[key.removeprefix("module.")] = value
    return out


@ADAPTER_REGISTRY.register("svmix")
def adapt_svmix(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """SV-Mix checkpoint → our names (the model's ``adapt_svmix_state`` does the family-specific part)."""
    sd = _unwrap(state, report)
    net = model.module if isinstance(getattr(model, "module", None), nn.Module) else model
    hook = getattr(net, "adapt_svmix_state", None)
    return hook(sd) if callable(hook) else sd
