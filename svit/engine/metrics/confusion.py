"""The confusion outputs of a test: ``per_class_accuracy.csv``, ``confusion_matrix.csv`` and
``.png`` (+ the most-confused pairs above ``MANY_CLASSES`` classes). Adds no test_results.json entry."""
from __future__ import annotations

import csv
import io
import os
from typing import Sequence

import numpy as np

from svit.engine.class_labels import tick_labels
from svit.engine.confused_pairs import MANY_CLASSES, write_confused_pairs
from svit.engine.metrics.base import MetricInput
from svit.engine.metrics.registry import METRIC_REGISTRY
from svit.run_folder import CONFUSION_CSV, CONFUSION_PNG, PER_CLASS_ACCURACY_FILE
from svit.utils.atomic import atomic_open, atomic_write_text


def plot_confusion(conf: np.ndarray, class_names: Sequence[str] | None, path: str) -> None:
    """Row-normalised confusion matrix image; labels shrink (and thin out) with many classes."""
    import matplotlib  # optional at import time: only the test phase draws

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = conf.shape[0]
    norm = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
    size = min(max(6.0, k * 0.12), 40.0)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    names = tick_labels(list(class_names)) if class_names else [str(i) for i in range(k)]
    step = 1 if k <= 100 else int(np.ceil(k / 100))
    ticks = np.arange(0, k, step)
    font = 8 if k <= 30 else max(3, int(300 / k))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels([names[i] for i in ticks], rotation=90, fontsize=font)
    ax.set_yticklabels([names[i] for i in ticks], fontsize=font)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix (row-normalised)")
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)


def per_class_csv(conf: np.ndarray, names: Sequence[str]) -> str:
    """One row per class: index, name, labelled videos, top-1 hits, accuracy (%; empty without videos)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["class_index", "class_name", "num_videos", "num_correct", "accuracy"])
    for c in range(conf.shape[0]):
        n, ok = int(conf[c].sum()), int(conf[c, c])
        w.writerow([c, names[c], n, ok, f"{ok / n * 100:.4f}" if n else ""])
    return buf.getvalue()


def confusion_csv(conf: np.ndarray, names: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["true\\pred"] + list(names))
    for c in range(conf.shape[0]):
        w.writerow([names[c]] + [int(v) for v in conf[c]])
    return buf.getvalue()


@METRIC_REGISTRY.register("confusion")
def confusion_outputs(inp: MetricInput) -> dict:
    """per_class_accuracy.csv, confusion_matrix.csv/.png (+ most-confused pairs) in ``inp.output_dir``."""
    if inp.output_dir is None:
        return {}
    conf, names = inp.confusion, inp.class_name_list()
    atomic_write_text(os.path.join(inp.output_dir, PER_CLASS_ACCURACY_FILE), per_class_csv(conf, names))
    atomic_write_text(os.path.join(inp.output_dir, CONFUSION_CSV), confusion_csv(conf, names))
    plot_confusion(conf, inp.class_names, os.path.join(inp.output_dir, CONFUSION_PNG))
    if inp.num_classes > MANY_CLASSES:  # the full matrix is illegible: also the most-confused pairs
        write_confused_pairs(conf, inp.class_names, inp.output_dir)
    return {}
