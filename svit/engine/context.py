"""StepContext: what tasks and batch hooks may see of the run while a step is computed.

One object owned by the trainer and updated in place (``epoch``, ``step``), so a hook built once
always reads the current values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
from fvcore.common.config import CfgNode


@dataclass
class StepContext:
    """``model`` is what to call for the training forward (DDP-wrapped in distributed runs);
    ``net`` the unwrapped model (for parameters, feature maps, state); ``ema`` the ModelEma or None
    (``ema.module`` is the teacher); ``epoch`` (0-based) and ``step`` (global optimiser steps done)."""

    cfg: CfgNode
    device: torch.device
    model: nn.Module
    net: nn.Module
    ema: Any = None
    epoch: int = 0
    step: int = 0
    num_classes: int = 0
    steps_per_epoch: int = 1

    @property
    def epoch_float(self) -> float:
        """Fractional epoch of the current step (the lr policies' clock)."""
        return self.step / max(1, self.steps_per_epoch)
