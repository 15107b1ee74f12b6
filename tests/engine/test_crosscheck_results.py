"""Cross-check of the test-phase aggregation and result files against hand-computed values."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from svit.engine.errors import ResultsError
from svit.engine.results import aggregate_views, compute_metrics, write_results

PROTOCOL = {"num_ensemble_views": 1, "num_spatial_crops": 3, "ensemble_method": "mean"}


def _ranked_scores():
    """6 videos x 6 classes with a known ranking per video; the last video is unlabelled."""
    order = [
        [0, 1, 2, 3, 4, 5],  # label 0 -> top-1 hit
        [2, 1, 0, 3, 4, 5],  # label 1 -> top-5 hit only
        [5, 4, 3, 1, 0, 2],  # label 2 -> ranked last: miss
        [1, 0, 2, 3, 4, 5],  # label 1 -> top-1 hit
        [3, 2, 1, 0, 4, 5],  # label 0 -> top-5 hit only
        [0, 1, 2, 3, 4, 5],  # unlabelled
    ]
    s = np.zeros((6, 6), dtype=np.float32)
    for i, o in enumerate(order):
        s[i, o] = np.linspace(1.0, 0.0, 6)
    return s, np.array([0, 1, 2, 1, 0, -1])


def test_metrics_by_hand_exclude_unlabelled():
    s, y = _ranked_scores()
    m = compute_metrics(s, y, 6)
    assert m["top1"] == pytest.approx(40.0) and m["top5"] == pytest.approx(80.0)
    # per class: 0 -> 1/2, 1 -> 1/2, 2 -> 0/1; mean over classes that have videos = 33.3%.
    assert m["mean_class_accuracy"] == pytest.approx(100.0 / 3)
    assert m["num_labelled_videos"] == 5
    assert m["confusion"].sum() == 5 and m["confusion"][0, 3] == 1 and m["confusion"][2, 5] == 1


@pytest.mark.parametrize("method,expected", [("sum", [3.0, 7.0]), ("mean", [1.0, 7 / 3]), ("max", [2.0, 4.0])])
def test_views_are_ensembled_per_video_and_duplicates_count_once(method, expected):
    # 2 videos x 3 views, rows shuffled, one row duplicated (padding of a distributed sampler).
    index = np.array([1, 0, 0, 1, 0, 1, 1])
    view = np.array([2, 0, 1, 0, 2, 1, 2])
    vals = np.array([4.0, 0.0, 1.0, 1.0, 2.0, 2.0, 4.0])
    scores = np.stack([vals, -vals], axis=1).astype(np.float32)
    out = aggregate_views(index, view, scores, num_videos=2, num_views=3, method=method)
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-6)


def test_a_video_missing_a_view_fails_naming_it():
    index, view = np.array([0, 0, 0, 1, 1]), np.array([0, 1, 2, 0, 2])
    with pytest.raises(ResultsError, match="vidB"):
        aggregate_views(index, view, np.ones((5, 2), np.float32), 2, 3, "mean", ["vidA", "vidB"])


def test_result_files_contents(tmp_path):
    s, y = _ranked_scores()
    names = [f"class {c}" for c in range(6)]
    ids = [f"vid{i}" for i in range(6)]
    out = write_results(str(tmp_path), s, y, ids, names, PROTOCOL, "ck.pyth",
                        {"missing_boxes": "keep", "skipped": 0}, num_views_evaluated=18)
    disk = json.loads((tmp_path / "test_results.json").read_text())
    assert disk["top1"] == pytest.approx(40.0) and disk["num_videos"] == 6
    assert disk["num_labelled_videos"] == 5 and disk["num_views"] == 18
    assert disk["protocol"] == PROTOCOL and disk["checkpoint"] == "ck.pyth"
    assert disk["split_info"] == {"missing_boxes": "keep", "skipped": 0}
    assert out["top5"] == disk["top5"]

    npz = np.load(tmp_path / "test_scores.npz")  # loads without allow_pickle
    np.testing.assert_array_equal(npz["scores"], s)
    np.testing.assert_array_equal(npz["labels"], y)
    assert npz["video_ids"].tolist() == ids

    rows = list(csv.reader((tmp_path / "per_class_accuracy.csv").open()))
    assert rows[4][-1] == ""  # class 3 has no test video: no accuracy, not 0
    assert len(rows) == 1 + 6 and rows[2][1] == "class 1" and float(rows[2][-1]) == 50.0
    cm = list(csv.reader((tmp_path / "confusion_matrix.csv").open()))
    assert len(cm) == 7 and [int(v) for v in cm[1][1:]] == [1, 0, 0, 1, 0, 0]
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_two_hundred_classes_plot(tmp_path):
    rng = np.random.default_rng(0)
    s = rng.random((50, 200)).astype(np.float32)
    y = rng.integers(0, 200, 50)
    write_results(str(tmp_path), s, y, [str(i) for i in range(50)], None, PROTOCOL, None, None, 50)
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 10_000
