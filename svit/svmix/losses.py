"""SV-Mix losses beyond the online model's classification loss.

* the offline branch's soft-target cross entropy (the frozen EMA model classifying the offline mix;
  its gradient reaches only the selector, through the mixed input);
* the mask-area regulariser: weight · max(0, |(1 − mean(M'_src)) − λ_ofl| − margin), with the mean over
  every pixel of the whole local batch (a batch-level constraint, as the original), offline mask only.
"""
from __future__ import annotations

import torch
from torch import Tensor

from svit.losses.classification import soft_target_cross_entropy


def mask_area_loss(source_weight: Tensor, lam: float, margin: float = 0.1, weight: float = 0.1) -> Tensor:
    """Hinge on the realised target area ``1 − mean(source_weight)`` vs the sampled ``lam``."""
    area = 1.0 - source_weight.float().mean()
    return weight * torch.clamp((area - float(lam)).abs() - margin, min=0.0)


__all__ = ["mask_area_loss", "soft_target_cross_entropy"]
