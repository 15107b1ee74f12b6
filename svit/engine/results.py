"""Multi-view aggregation, metrics and the result files of the test phase.

Everything here runs on rank 0 over the gathered per-view scores; files are written atomically
and once.
"""
from __future__ import annotations

import json
import os
from typing import Any, Sequence

import numpy as np

from svit.engine.errors import ResultsError
from svit.engine.metrics import MetricInput, evaluate_metrics, json_safe
from svit.run_folder import TEST_RESULTS_FILE, TEST_SCORES_FILE, TEST_VIDEO_IDS_FILE
from svit.utils.atomic import atomic_open, atomic_write_text

# TEST.METRICS's default: today's single-label outputs.
DEFAULT_METRICS = ("topk", "mean_class_accuracy", "confusion")


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
    """top1/top5 (%), mean class accuracy (%), confusion matrix and per-class counts (the default
    metrics' definitions, for callers that want the arrays: ensembles, cross-checks).

    Videos with label -1 (unknown) are excluded from every metric.
    """
    inp = MetricInput(scores, labels, matrix_classes=num_classes)
    m = evaluate_metrics(("topk", "mean_class_accuracy"), inp)
    conf = inp.confusion
    return {**m, "num_labelled_videos": int(inp.known.sum()), "confusion": conf,
            "per_class_n": conf.sum(axis=1), "per_class_correct": np.diag(conf)}


def model_metrics(
    scores: np.ndarray, labels: np.ndarray, metrics: Sequence[str] = DEFAULT_METRICS
) -> dict[str, Any]:
    """The ``metrics`` entries (%) of one model's per-video scores (no files), None where undefined."""
    return json_safe(evaluate_metrics(metrics, MetricInput(scores, labels)))


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
    metrics: Sequence[str] = DEFAULT_METRICS,
) -> dict[str, Any]:
    """Computes metrics and writes every result file; returns the test_results.json content.

    ``scores`` are those of ``evaluated_model`` (the top-level metrics and every file describe it);
    ``per_model`` adds each model's metrics under its name (``online``, ``ema``); ``extra`` adds
    further top-level entries (the named protocol's readouts, ``protocol_results``); ``metrics`` are the
    registered metrics (TEST.METRICS) whose entries open the file and which write their own files."""
    num_classes = scores.shape[1]
    os.makedirs(output_dir, exist_ok=True)
    inp = MetricInput(scores, labels, class_names, video_ids, output_dir)
    num_labelled = int(inp.known.sum())
    results = {
        # Metrics without labelled videos are null (strict JSON has no NaN).
        **json_safe(evaluate_metrics(metrics, inp)),
        "num_videos": int(len(video_ids)),
        "num_labelled_videos": num_labelled,
        "num_views": int(num_views_evaluated),
        "num_classes": int(num_classes),
        "protocol": protocol,
        "checkpoint": checkpoint,
        "split_info": phase_info(split_info),
        "evaluated_model": evaluated_model,
    }
    for name, entries in (per_model or {}).items():
        results[name] = dict(entries)
    results.update(extra or {})
    if save_scores:
        with atomic_open(os.path.join(output_dir, TEST_SCORES_FILE), "wb") as f:
            np.savez(f, scores=scores, labels=labels.astype(np.int64), video_ids=np.asarray(list(video_ids), dtype=str))
        atomic_write_text(os.path.join(output_dir, TEST_VIDEO_IDS_FILE), json.dumps(list(video_ids)) + "\n")
    # Written last: a test_results.json on disk means every other file of this test is complete.
    results["num_unlabelled_videos"] = int(len(video_ids)) - num_labelled
    atomic_write_text(
        os.path.join(output_dir, TEST_RESULTS_FILE),
        json.dumps(results, indent=2, default=str, allow_nan=False) + "\n",
    )
    return results
