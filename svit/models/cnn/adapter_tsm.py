"""Adapter for TSM / TSN-pytorch checkpoints (mit-han-lab/temporal-shift-module), registered as
``tsm``.

Those checkpoints wrap a torchvision backbone as ``module.base_model.*``, replace its ``fc`` by
``module.new_fc``, and (with residual shift) wrap each block's ``conv1`` as ``conv1.net``. Our
2D ResNet keeps torchvision names and shifts parameter-free at the start of the branch, so the
mapping is pure renaming: strip ``module.`` / ``base_model.``, ``conv1.net.`` → ``conv1.``,
``new_fc.`` → ``fc.``.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.models.adapters.unwrap import strip_prefixes, unwrap_checkpoint


@ADAPTER_REGISTRY.register("tsm")
def adapt_tsm(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """TSM/TSN checkpoint (or its ``state_dict``) → svit 2D ResNet names."""
    sd = strip_prefixes(unwrap_checkpoint(state), ("module.", "base_model."))
    out = {}
    for key, value in sd.items():
        if key.startswith("new_fc."):
            key = "fc." + key[len("new_fc."):]
        key = key.replace(".conv1.net.", ".conv1.")
        out[key] = value
    return out
