"""The most-confused class pairs: what a confusion matrix of 174 classes cannot show legibly.

For every ordered pair (true class, predicted class) with true != predicted, the number of test
videos of the true class predicted as the other and that number as a share of the true class. The
test phase writes the top pairs to ``most_confused_pairs.csv`` and a small horizontal bar plot,
``most_confused_pairs.png``, next to the full matrix when there are more than
``MANY_CLASSES`` classes.
"""
from __future__ import annotations

import csv
import io
import os
from typing import Sequence

import numpy as np

from svit.engine.class_labels import tick_labels
from svit.run_folder import CONFUSED_PAIRS_CSV, CONFUSED_PAIRS_PNG
from svit.utils.atomic import atomic_open, atomic_write_text

MANY_CLASSES = 20
TOP_CSV = 100
TOP_PLOT = 20


def most_confused_pairs(conf: np.ndarray, top: int = TOP_CSV) -> list[tuple[int, int, int, float]]:
    """``(true, predicted, count, share of the true class)`` of the ``top`` largest off-diagonal
    counts, largest first (ties: lower true class, then lower predicted class)."""
    off = conf.astype(np.int64).copy()
    np.fill_diagonal(off, 0)
    rows = conf.sum(axis=1)
    t, p = np.nonzero(off)
    counts = off[t, p]
    order = np.lexsort((p, t, -counts))[:top]
    return [(int(t[i]), int(p[i]), int(counts[i]), float(counts[i] / rows[t[i]])) for i in order]


def write_confused_pairs(conf: np.ndarray, class_names: Sequence[str] | None, output_dir: str) -> list[str]:
    """Writes the CSV and the plot; returns the paths written."""
    k = conf.shape[0]
    names = list(class_names) if class_names else [str(i) for i in range(k)]
    pairs = most_confused_pairs(conf)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["true_index", "true_name", "predicted_index", "predicted_name", "count", "share_of_true_class"])
    for t, p, n, share in pairs:
        w.writerow([t, names[t], p, names[p], n, f"{share:.4f}"])
    csv_path = os.path.join(output_dir, CONFUSED_PAIRS_CSV)
    atomic_write_text(csv_path, buf.getvalue())
    png_path = os.path.join(output_dir, CONFUSED_PAIRS_PNG)
    _plot(pairs[:TOP_PLOT], names, png_path)
    return [csv_path, png_path]


def _plot(pairs: list[tuple[int, int, int, float]], names: list[str], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.35 * max(len(pairs), 1) + 1.2))
    short = tick_labels(names, 38)
    labels = [f"{short[t]} -> {short[p]}" for t, p, _, _ in pairs]
    shares = [100 * s for _, _, _, s in pairs]
    ax.barh(range(len(pairs)), shares, color="tab:red")
    ax.set_yticks(range(len(pairs)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("% of the true class's videos predicted as the other")
    ax.set_title(f"Most confused class pairs (top {len(pairs)})")
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
