"""Adapter for IBM action-recognition-pytorch checkpoints (``*.pth.tar``), registered as ``ibm``.

IBM's ``train.py`` saves ``{"epoch", "arch", "state_dict", "best_top1", ...}`` from a
DataParallel/DDP wrapper, so keys usually start with ``module.``; ``test.py`` and ``--pretrained``
expect bare names. Our CNN models keep the original parameter names (ResNet ``layerX.Y.convZ``,
``tam.prev_se.fc1``, GoogLeNet ``inception3a.branch2.1.conv``, ``fc``), so after stripping the
wrapper prefix the mapping is the identity. A model whose names differ can define
``adapt_ibm_state(state_dict) -> state_dict``; the adapter applies it after the generic step.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.models.adapters.unwrap import strip_prefixes, unwrap_checkpoint


@ADAPTER_REGISTRY.register("ibm")
def adapt_ibm(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """IBM checkpoint (or its ``state_dict``) → svit names: unwrap, strip ``module.``, then the
    model's ``adapt_ibm_state`` hook if it has one."""
    sd = strip_prefixes(unwrap_checkpoint(state))
    hook = getattr(model, "adapt_ibm_state", None)
    return hook(sd) if callable(hook) else sd
