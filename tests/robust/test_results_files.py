"""Result files for many classes (most-confused pairs) and one split name in test_results.json."""
from __future__ import annotations

import csv
import json

import numpy as np

from svit.engine.confused_pairs import most_confused_pairs
from svit.engine.results import write_results


def _write(tmp_path, k, scores, labels, split_info=None):
    return write_results(str(tmp_path), scores, labels, [f"v{i}" for i in range(len(labels))],
                         [f"class {c}" for c in range(k)], {"split": "val"}, None, split_info,
                         num_views_evaluated=len(labels))


def test_many_classes_get_most_confused_pairs(tmp_path):
    k = 30
    labels = np.repeat(np.arange(k), 4)
    pred = labels.copy()
    pred[labels == 7] = [7, 12, 12, 12]  # class 7 -> 12: 3 of 4 videos
    pred[labels == 3] = [3, 3, 3, 5]  # class 3 -> 5: 1 of 4
    scores = np.eye(k, dtype=np.float32)[pred]
    _write(tmp_path, k, scores, labels)
    rows = list(csv.DictReader(open(tmp_path / "most_confused_pairs.csv")))
    assert [(r["true_name"], r["predicted_name"], r["count"]) for r in rows] == [
        ("class 7", "class 12", "3"), ("class 3", "class 5", "1")]
    assert float(rows[0]["share_of_true_class"]) == 0.75
    png = (tmp_path / "most_confused_pairs.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 200_000


def test_few_classes_keep_only_the_matrix(tmp_path):
    labels = np.arange(3)
    _write(tmp_path, 3, np.eye(3, dtype=np.float32)[[1, 1, 2]], labels)
    assert (tmp_path / "confusion_matrix.png").exists() and not (tmp_path / "most_confused_pairs.csv").exists()


def test_pair_order_and_ties():
    conf = np.array([[5, 2, 2], [0, 3, 4], [1, 0, 0]])
    assert most_confused_pairs(conf) == [(1, 2, 4, 4 / 7), (0, 1, 2, 2 / 9), (0, 2, 2, 2 / 9), (2, 0, 1, 1.0)]


def test_one_split_name(tmp_path):
    labels = np.arange(3)
    res = _write(tmp_path, 3, np.eye(3, dtype=np.float32), labels, {"split": "test", "list_file": "val.txt"})
    saved = json.loads((tmp_path / "test_results.json").read_text())
    assert res["protocol"]["split"] == saved["protocol"]["split"] == "val"
    assert saved["split_info"] == {"phase": "test", "list_file": "val.txt"}
