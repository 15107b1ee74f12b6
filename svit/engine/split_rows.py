"""The rows a validation pass hands to the registered metrics (svit/engine/metrics/): each kept sample's
softmax scores per model, its label and, where the dataset names its videos, its video id.

Each batch's scores are copied to the host behind the next batch (``HostCopy``) and collected then,
so the pass never waits for the device per batch; the rows of every rank meet once, at the end of the
split, as one ``MetricInput`` per model (the same contract as the test phase's per-video scores).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from svit.engine.host_copy import HostCopy
from svit.engine.metrics import MetricInput
from svit.utils.distributed import all_gather_objects


class SplitRows:
    """Collects the rows of one validation pass for the models named in ``models``."""

    def __init__(self, models: Sequence[str]) -> None:
        self.models = list(models)
        self.labels: list[torch.Tensor] = []
        self.index: list[torch.Tensor] = []
        self.scores: dict[str, list[torch.Tensor]] = {name: [] for name in self.models}
        self._launched: list[tuple[str, HostCopy]] = []  # this batch's copies
        self._in_flight: list[tuple[str, HostCopy]] = []  # the previous batch's, read after this one launched

    def add_batch(self, batch: dict[str, Any], keep: torch.Tensor) -> None:
        """The kept samples' labels (and dataset indices) from the batch's host copy."""
        self.labels.append(batch["labels"][keep])
        index = batch.get("index")
        if isinstance(index, torch.Tensor) and len(self.index) == len(self.labels) - 1:
            self.index.append(index[keep])

    def add_scores(self, name: str, scores: torch.Tensor) -> None:
        """Starts the copy of model ``name``'s ``(n, K)`` scores of the current batch to the host."""
        self._launched.append((name, HostCopy(scores)))

    def end_batch(self) -> None:
        """Collects the previous batch's copies (done by now: the current batch is queued behind them)."""
        self._collect()
        self._in_flight, self._launched = self._launched, []

    def _collect(self) -> None:
        for name, copy in self._in_flight:
            self.scores[name].append(copy.wait().clone())  # out of the pinned buffer, which later copies reuse
        self._in_flight = []

    def metric_inputs(self, num_classes: int, dataset: Any) -> dict[str, MetricInput]:
        """One ``MetricInput`` per model over the rows of every rank (in rank order); ``num_classes``
        shapes the score array of a split without rows."""
        self.end_batch()
        self._collect()
        local = (_cat(self.labels, np.zeros(0, np.int64)),
                 _cat(self.index, np.zeros(0, np.int64)) if len(self.index) == len(self.labels) else None,
                 {name: _cat(s, np.zeros((0, num_classes), np.float32)) for name, s in self.scores.items()})
        gathered = all_gather_objects(local)
        labels = _rows([g[0] for g in gathered])
        video_ids = _video_ids([g[1] for g in gathered], dataset)
        names = getattr(dataset, "class_names", None)
        return {name: MetricInput(_rows([g[2][name] for g in gathered]), labels, names, video_ids)
                for name in self.models}


def _cat(parts: list[torch.Tensor], empty: np.ndarray) -> np.ndarray:
    return torch.cat(parts).numpy() if parts else empty


def _rows(parts: list[np.ndarray]) -> np.ndarray:
    """The ranks' rows in rank order; a rank without rows adds nothing (not even its empty shape)."""
    filled = [p for p in parts if len(p)]
    return np.concatenate(filled) if filled else parts[0]


def _video_ids(indices: list[np.ndarray | None], dataset: Any) -> list[str] | None:
    """The rows' video ids when every rank knows its rows' dataset indices and the dataset its ids."""
    ids = getattr(dataset, "video_ids", None)
    if ids is None or any(i is None for i in indices):
        return None
    index = np.concatenate(indices).astype(np.int64)
    if len(index) and (index.min() < 0 or index.max() >= len(ids)):
        return None
    return [ids[i] for i in index.tolist()]
