"""Late score fusion of several test runs (e.g. H2CN's (8+16) ensemble of an 8- and a 16-segment model).

Each run's test phase saved ``OUTPUT_DIR/test_scores.npz`` (``scores`` (N, K) per-video softmax
scores already averaged over the run's views, ``labels`` (N,), ``video_ids`` (N,)). Runs are joined
by **video id**, never by row order: two runs may list videos in different orders or one may have
skipped videos, and a row-order join would silently pair different videos. Any id missing from a
run is an error that names the ids. The fused score is the (weighted) mean of the runs' softmax
scores; weights are normalised so the result stays a probability vector.

Why softmax scores and not the original's ReLU-clamped logits: svit's test phase saves softmax
scores (the evaluator owns the softmax), and averaging probabilities is the fusion H2CN uses for
its single-model multi-view protocol; the ranking of the (8+16) row is what the tool reproduces.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from svit.engine.results import compute_metrics
from svit.run_folder import TEST_SCORES_FILE
from svit.utils.atomic import atomic_open, atomic_write_text

RESULTS_FILE = "ensemble_results.json"
SCORES_OUT_FILE = "ensemble_scores.npz"
_MAX_IDS_SHOWN = 20


@dataclass
class RunScores:
    """One run's per-video scores, as saved by the test phase."""

    source: str
    scores: np.ndarray  # (N, K) float
    labels: np.ndarray  # (N,) int64, -1 = unlabelled
    video_ids: list[str]


def load_run(path: str | os.PathLike) -> RunScores:
    """Reads a run directory (its ``test_scores.npz``) or an ``.npz`` file directly."""
    p = Path(path)
    file = p / TEST_SCORES_FILE if p.is_dir() else p
    if not file.is_file():
        raise FileNotFoundError(f"no test scores at {file} (run the test phase with TEST.SAVE_RESULTS True)")
    with np.load(file, allow_pickle=False) as data:
        missing = {"scores", "labels", "video_ids"} - set(data.files)
        if missing:
            raise ValueError(f"{file} lacks {sorted(missing)} (has {sorted(data.files)})")
        scores = np.asarray(data["scores"], dtype=np.float64)
        labels = np.asarray(data["labels"], dtype=np.int64)
        ids = [str(v) for v in data["video_ids"].tolist()]
    if scores.ndim != 2 or labels.shape != (scores.shape[0],) or len(ids) != scores.shape[0]:
        raise ValueError(f"{file}: scores {scores.shape}, labels {labels.shape}, {len(ids)} ids disagree")
    dup = sorted(v for v, n in Counter(ids).items() if n > 1)
    if dup:
        raise ValueError(f"{file}: duplicated video ids {dup[:_MAX_IDS_SHOWN]}")
    return RunScores(str(file), scores, labels, ids)


def align_runs(runs: Sequence[RunScores]) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
    """Joins runs by video id (order of the first run).

    Returns ``(video_ids, labels, [scores of each run, rows aligned])``. Raises ``ValueError`` when
    the runs do not cover the same videos (listing the missing ids per run), have different class
    counts, or disagree on a video's label.
    """
    if not runs:
        raise ValueError("no runs to ensemble")
    ids = runs[0].video_ids
    reference = set(ids)
    problems = []
    for r in runs:
        have = set(r.video_ids)
        missing = [v for v in ids if v not in have]
        extra = sorted(have - reference)
        if missing or extra:
            problems.append(
                f"{r.source}: missing {len(missing)} ids {missing[:_MAX_IDS_SHOWN]}, "
                f"extra {len(extra)} ids {extra[:_MAX_IDS_SHOWN]}"
            )
    if problems:
        raise ValueError("runs do not cover the same videos:\n  " + "\n  ".join(problems))
    ks = {r.scores.shape[1] for r in runs}
    if len(ks) != 1:
        raise ValueError(f"runs have different class counts: {[(r.source, r.scores.shape[1]) for r in runs]}")
    aligned, labels = [], np.full(len(ids), -1, dtype=np.int64)
    for r in runs:
        index = {v: i for i, v in enumerate(r.video_ids)}
        rows = np.array([index[v] for v in ids], dtype=np.int64)
        aligned.append(r.scores[rows])
        lab = r.labels[rows]
        clash = (labels >= 0) & (lab >= 0) & (labels != lab)
        if clash.any():
            bad = [ids[i] for i in np.flatnonzero(clash)[:_MAX_IDS_SHOWN]]
            raise ValueError(f"{r.source}: labels differ from the other runs for videos {bad}")
        labels = np.where(labels >= 0, labels, lab)
    return list(ids), labels, aligned


def fuse_scores(scores: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """Weighted mean of aligned score matrices (weights normalised to sum 1; default equal)."""
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(scores),):
        raise ValueError(f"{len(w)} weights for {len(scores)} runs")
    if np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {w.tolist()}")
    w = w / w.sum()
    return sum(wi * s for wi, s in zip(w, scores))


def accuracy_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """top1 / top5 / mean class accuracy (%) over labelled videos (label -1 is left out and counted),
    with exactly the test phase's definitions (``svit.engine.results.compute_metrics``)."""
    known = labels >= 0
    out: dict[str, Any] = {"num_labelled": int(known.sum()), "num_unlabelled": int((~known).sum())}
    if not known.any():
        return {"top1": None, "top5": None, "mean_class_accuracy": None, **out}
    if labels[known].max() >= scores.shape[1]:
        raise ValueError(f"label {int(labels[known].max())} is out of range for {scores.shape[1]} classes")
    m = compute_metrics(scores, labels, scores.shape[1])
    return {"top1": m["top1"], "top5": m["top5"], "mean_class_accuracy": m["mean_class_accuracy"], **out}


def ensemble_runs(
    paths: Sequence[str | os.PathLike],
    weights: Sequence[float] | None = None,
    out_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Loads, joins and fuses runs; writes ``ensemble_results.json`` and ``ensemble_scores.npz``
    into ``out_dir`` when given. Returns the results dict (per-run and fused metrics)."""
    runs = [load_run(p) for p in paths]
    ids, labels, aligned = align_runs(runs)
    fused = fuse_scores(aligned, weights)
    w = [1.0] * len(runs) if weights is None else [float(x) for x in weights]
    results: dict[str, Any] = {
        "num_videos": len(ids),
        "num_classes": int(fused.shape[1]),
        "method": "weighted mean of softmax scores",
        "runs": [
            {"source": r.source, "weight": wi, **accuracy_metrics(s, labels)} for r, wi, s in zip(runs, w, aligned)
        ],
        "ensemble": accuracy_metrics(fused, labels),
    }
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        with atomic_open(os.path.join(out_dir, SCORES_OUT_FILE), "wb") as f:
            np.savez(f, scores=fused.astype(np.float32), labels=labels, video_ids=np.asarray(ids, dtype=str))
        atomic_write_text(os.path.join(out_dir, RESULTS_FILE), json.dumps(results, indent=2))
    return results
