"""What one training step hands back to the trainer (task contract v2).

A task returns a ``StepOutput`` instead of a bare dict of losses so that everything the trainer logs
comes from the return value: no side channels on the task object, no private batch keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class StepOutput:
    """Weighted scalar loss ``terms`` (the trainer backpropagates their sum and logs each), the class
    ``logits`` (B, K) and the HARD ``labels`` (B,) used for train top-1/top-5 (None: not logged)."""

    terms: dict[str, torch.Tensor] = field(default_factory=dict)
    logits: torch.Tensor | None = None
    labels: torch.Tensor | None = None

    def loss(self) -> torch.Tensor:
        """The sum of the terms (what is backpropagated)."""
        if not self.terms:
            raise ValueError("StepOutput has no loss terms")
        return sum(self.terms.values())
