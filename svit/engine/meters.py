"""Accuracy and running averages for logging."""
from __future__ import annotations

import torch


def topk_correct_counts(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> torch.Tensor:
    """Number of rows whose label is among the top-k logits, for each k (k capped at K), as an int64
    tensor on the logits' device: reading it is left to the caller, so a training or evaluation step
    does not wait for the device."""
    maxk = min(max(ks), logits.shape[-1])
    hit = (logits.topk(maxk, dim=-1).indices == labels.view(-1, 1)).cumsum(1).clamp_(max=1)  # hit within top-j
    return hit[:, [min(k, maxk) - 1 for k in ks]].sum(0)


class Average:
    """Weighted running mean."""

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update(self, value: float, n: float = 1.0) -> None:
        self.total += float(value) * n
        self.count += n

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")
