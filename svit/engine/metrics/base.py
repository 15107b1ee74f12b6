"""What a metric receives: the per-video scores of one model, their labels, and where files go.

A metric is ``fn(inp: MetricInput) -> dict`` registered in ``METRIC_REGISTRY``. Listed in
``TEST.METRICS``, its entries go to the top level of ``test_results.json`` (and to each model's section
when several models are tested), in the order of ``TEST.METRICS``. Listed in ``TRAIN.EVAL_METRICS``,
they go to every validation's ``val_epoch`` stats (prefixed ``ema_`` for the EMA model), computed over
the single-view rows of all ranks (``video_ids`` set when the dataset names its videos). A metric that
writes files (the confusion outputs) writes them only when ``output_dir`` is set (it is None for the
per-model entries, the protocol readouts and validation). The derived arrays are computed once and
shared by the metrics.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np


@dataclass
class MetricInput:
    """Per-video scores ``(N, K)`` (softmax, views aggregated) and labels ``(N,)`` (-1 = unknown)."""

    scores: np.ndarray
    labels: np.ndarray
    class_names: Sequence[str] | None = None
    video_ids: Sequence[str] | None = None
    output_dir: str | None = None
    # Size of the confusion matrix when it differs from the score columns (0 = the score columns).
    matrix_classes: int = 0

    @property
    def num_classes(self) -> int:
        return int(self.matrix_classes or self.scores.shape[1])

    @cached_property
    def known(self) -> np.ndarray:
        """Videos with a label: every metric leaves the unlabelled ones out."""
        return self.labels >= 0

    @cached_property
    def ranking(self) -> np.ndarray:
        """Classes of each labelled video by decreasing score; ties go to the lower class index."""
        return np.argsort(-self.scores[self.known], axis=1, kind="stable")

    @property
    def known_labels(self) -> np.ndarray:
        return self.labels[self.known]

    @cached_property
    def confusion(self) -> np.ndarray:
        """``(K, K)`` int64 counts, rows = true class, columns = top-1 prediction, labelled videos only."""
        k = self.num_classes
        conf = np.zeros((k, k), dtype=np.int64)
        pred = self.ranking[:, 0] if len(self.known_labels) else np.zeros(0, dtype=np.int64)
        np.add.at(conf, (self.known_labels, pred), 1)
        return conf

    def class_name_list(self) -> list[str]:
        return list(self.class_names) if self.class_names else [str(i) for i in range(self.num_classes)]
