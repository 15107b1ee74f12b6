"""The model interface every CNN family implements, in one place.

``forward(x) = forward_head(forward_features(x))``; ``forward_features`` gives the last-stage map
``(B, C, T', H', W')`` (2D models fold their ``(B*T', C, H', W')`` frames back into time) and
``forward_head`` the logits ``(B, K)``. ``set_grad_checkpointing`` recomputes each stage in
backward (MODEL.ACT_CHECKPOINT); BatchNorm running statistics then see each checkpointed batch
twice (once more during the recomputation), as with timm's checkpointed CNNs. ``no_weight_decay``
names no parameter: BN and bias decay are the optimiser's choice (SOLVER.BN_WEIGHT_DECAY,
SOLVER.PARAM_GROUPS).
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor
from torch.utils.checkpoint import checkpoint


class CNNConvention:
    """Mixin for ``nn.Module`` CNN video models defining ``forward_features`` and ``forward_head``."""

    grad_checkpointing: bool = False

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute every stage in backward while training (saves activation memory)."""
        self.grad_checkpointing = bool(enable)

    def no_weight_decay(self) -> set[str]:
        """No parameter is excluded by the model itself (see the module docstring)."""
        return set()

    def run_stage(self, stage: nn.Module, x: Tensor) -> Tensor:
        """``stage(x)``, recomputed in backward when gradient checkpointing is on and needed."""
        if self.grad_checkpointing and self.training and torch.is_grad_enabled():  # type: ignore[attr-defined]
            return checkpoint(stage, x, use_reentrant=False)
        return stage(x)

    def forward(self, x: Tensor) -> Tensor:
        """(B, 3, T, H, W) clip -> (B, K) logits."""
        return self.forward_head(self.forward_features(x))  # type: ignore[attr-defined]


def frames_to_video(x: Tensor, batch: int) -> Tensor:
    """Per-frame 2D features ``(B*T, C, H, W)`` (frame index inner) -> ``(B, C, T, H, W)``."""
    bt, c, h, w = x.shape
    return x.reshape(batch, bt // batch, c, h, w).transpose(1, 2)
