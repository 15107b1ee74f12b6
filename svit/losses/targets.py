"""Soft targets from hard labels (below the engine: SV-Mix's label mixing and the mixup/cutmix hook
both build on them)."""
from __future__ import annotations

import torch


def smooth_one_hot(labels: torch.Tensor, num_classes: int, smoothing: float) -> torch.Tensor:
    """One-hot ``(B, K)`` with ``smoothing`` mass spread evenly over all classes."""
    off = smoothing / num_classes
    out = torch.full((labels.shape[0], num_classes), off, device=labels.device)
    out.scatter_(1, labels.view(-1, 1), 1.0 - smoothing + off)
    return out
