"""Accuracy and running averages for logging."""
from __future__ import annotations

import torch


def topk_correct(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> list[int]:
    """Number of rows whose label is among the top-k logits, for each k (k capped at K)."""
    maxk = min(max(ks), logits.shape[-1])
    top = logits.topk(maxk, dim=-1).indices
    hit = top == labels.view(-1, 1)
    return [int(hit[:, : min(k, maxk)].any(dim=1).sum()) for k in ks]


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
