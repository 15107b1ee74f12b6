"""Multi-view aggregation, metrics and the result files of the test phase.

Everything here runs on rank 0 over the gathered per-view scores; files are written atomically
and once.
"""
from __future__ import annotations

import csv
import io
import json
import os
from typing import Any, Sequence

import numpy as np

from svit.engine.confused_pairs import MANY_CLASSES, write_confused_pairs
from svit.engine.errors import ResultsError
from svit.utils.atomic import atomic_open, atomic_write_text


def aggregate_views(
    index: np.ndarray,
    view: np.ndarray,
    scores: np.ndarray,
    num_videos: int,
    num_views: int,
    method: str,
    video_ids: Sequence[str] | None = None,
) -> np.ndarray:
    """Per-video scores ``(num_videos, K)`` from per-view softmax scores.

    Duplicated (index, view) pairs (e.g. from padded distributed sampling) count once. Every video
    must have all ``num_views`` views; otherwise ResultsError lists the first incomplete videos.
    """
    if method not in ("sum", "mean", "max"):
        raise ResultsError(f"TEST.ENSEMBLE_METHOD must be sum, mean or max, got {method!r}")
    bad_view = (view < 0) | (view >= num_views)
    if bad_view.any() or (index < 0).any() or (index >= num_videos).any():
        raise ResultsError(
            f"Test views out of range: expected index < {num_videos} and view < {num_views} "
            f"(TEST.NUM_ENSEMBLE_VIEWS x TEST.NUM_SPATIAL_CROPS)."
        )
    key = index.astype(np.int64) * num_views + view.astype(np.int64)
    _, first = np.unique(key, return_index=True)
    index, view, scores = index[first], view[first], scores[first]
    counts = np.bincount(index, minlength=num_videos)
    if (counts != num_views).any():
        incomplete = np.nonzero(counts != num_views)[0]
        names = [video_ids[i] if video_ids is not None else str(i) for i in incomplete[:5]]
        raise ResultsError(
            f"{len(incomplete)} of {num_videos} test videos did not get all {num_views} views "
            f"(e.g. {', '.join(f'{n}: {counts[i]}' for n, i in zip(names, incomplete[:5]))}); unreadable videos get "
            f"no prediction and are named in the log."
        )
    out = np.zeros((num_videos, scores.shape[1]), dtype=np.float64)
    if method == "max":
        out[:] = -np.inf
        np.maximum.at(out, index, scores)
    else:
        np.add.at(out, index, scores)
        if method == "mean":
            out /= num_views
    return out.astype(np.float32)


def compute_metrics(scores: np.ndarray, labels: np.ndarray, num_classes: int) -> dict[str, Any]:
    """top1/top5 (%), mean class accuracy (%), confusion matrix and per-class counts.

    Videos with label -1 (unknown) are excluded from every metric.
    """
    known = labels >= 0
    s, y = scores[known], labels[known]
    k5 = min(5, scores.shape[1])
    if len(y):
        order = np.argsort(-s, axis=1, kind="stable")  # ties go to the lower class index
        top1 = float((order[:, 0] == y).mean() * 100)
        top5 = float((order[:, :k5] == y[:, None]).any(axis=1).mean() * 100)
        pred = order[:, 0]
    else:
        top1 = top5 = float("nan")
        pred = np.zeros(0, dtype=np.int64)
    conf = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(conf, (y, pred), 1)
    per_class_n = conf.sum(axis=1)
    per_class_correct = np.diag(conf)
    present = per_class_n > 0
    mca = float((per_class_correct[present] / per_class_n[present]).mean() * 100) if present.any() else float("nan")
    return {
        "top1": top1,
        "top5": top5,
        "mean_class_accuracy": mca,
        "num_labelled_videos": int(known.sum()),
        "confusion": conf,
        "per_class_n": per_class_n,
        "per_class_correct": per_class_correct,
    }


def model_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, float | None]:
    """top1/top5/mean class accuracy (%) of one model's per-video scores, None where undefined."""
    m = compute_metrics(scores, labels, scores.shape[1])
    return {k: (None if m[k] != m[k] else m[k]) for k in ("top1", "top5", "mean_class_accuracy")}


def _plot_confusion(conf: np.ndarray, class_names: Sequence[str] | None, path: str) -> None:
    """Row-normalised confusion matrix image; labels shrink (and thin out) with many classes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = conf.shape[0]
    norm = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
    size = min(max(6.0, k * 0.12), 40.0)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    names = list(class_names) if class_names else [str(i) for i in range(k)]
    step = 1 if k <= 100 else int(np.ceil(k / 100))
    ticks = np.arange(0, k, step)
    font = 8 if k <= 30 else max(3, int(300 / k))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels([names[i][:40] for i in ticks], rotation=90, fontsize=font)
    ax.set_yticklabels([names[i][:40] for i in ticks], fontsize=font)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix (row-normalised)")
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)


def phase_info(split_info: dict[str, Any] | None) -> dict[str, Any]:
    """The dataset's ``split_info`` with its ``split`` (the engine phase that built it, "test") renamed
    ``phase``: test_results.json names the evaluated split once, in ``protocol.split``."""
    info = dict(split_info or {})
    if "split" in info:
        info["phase"] = info.pop("split")
    return info


def write_results(
    output_dir: str,
    scores: np.ndarray,
    labels: np.ndarray,
    video_ids: Sequence[str],
    class_names: Sequence[str] | None,
    protocol: dict[str, Any],
    checkpoint: str | None,
    split_info: dict[str, Any] | None,
    num_views_evaluated: int,
    save_scores: bool = True,
    evaluated_model: str = "online",
    per_model: dict[str, dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Computes metrics and writes every result file; returns the test_results.json content.

    ``scores`` are those of ``evaluated_model`` (the top-level metrics and every file describe it);
    ``per_model`` adds each model's metrics under its name (``online``, ``ema``); ``extra`` adds
    further top-level entries (the named protocol's readouts, ``protocol_results``)."""
    num_classes = scores.shape[1]
    m = compute_metrics(scores, labels, num_classes)
    results = {
        "top1": m["top1"],
        "top5": m["top5"],
        "mean_class_accuracy": m["mean_class_accuracy"],
        "num_videos": int(len(video_ids)),
        "num_labelled_videos": m["num_labelled_videos"],
        "num_views": int(num_views_evaluated),
        "num_classes": int(num_classes),
        "protocol": protocol,
        "checkpoint": checkpoint,
        "split_info": phase_info(split_info),
        "evaluated_model": evaluated_model,
    }
    for name, metrics in (per_model or {}).items():
        results[name] = dict(metrics)
    results.update(extra or {})
    os.makedirs(output_dir, exist_ok=True)
    if save_scores:
        with atomic_open(os.path.join(output_dir, "test_scores.npz"), "wb") as f:
            np.savez(f, scores=scores, labels=labels.astype(np.int64), video_ids=np.asarray(list(video_ids), dtype=str))
        atomic_write_text(os.path.join(output_dir, "test_video_ids.json"), json.dumps(list(video_ids)) + "\n")
    names = list(class_names) if class_names else [str(i) for i in range(num_classes)]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["class_index", "class_name", "num_videos", "num_correct", "accuracy"])
    for c in range(num_classes):
        n, ok = int(m["per_class_n"][c]), int(m["per_class_correct"][c])
        w.writerow([c, names[c], n, ok, f"{ok / n * 100:.4f}" if n else ""])
    atomic_write_text(os.path.join(output_dir, "per_class_accuracy.csv"), buf.getvalue())
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["true\\pred"] + names)
    for c in range(num_classes):
        w.writerow([names[c]] + [int(v) for v in m["confusion"][c]])
    atomic_write_text(os.path.join(output_dir, "confusion_matrix.csv"), buf.getvalue())
    _plot_confusion(m["confusion"], class_names, os.path.join(output_dir, "confusion_matrix.png"))
    if num_classes > MANY_CLASSES:  # the full matrix is illegible: also the most-confused pairs
        write_confused_pairs(m["confusion"], class_names, output_dir)
    # Written last: a test_results.json on disk means every other file of this test is complete.
    # Metrics without labelled videos are null (strict JSON has no NaN).
    for key in ("top1", "top5", "mean_class_accuracy"):
        if results[key] != results[key]:
            results[key] = None
    results["num_unlabelled_videos"] = int(len(video_ids)) - m["num_labelled_videos"]
    atomic_write_text(
        os.path.join(output_dir, "test_results.json"),
        json.dumps(results, indent=2, default=str, allow_nan=False) + "\n",
    )
    return results
