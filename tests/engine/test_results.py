"""Multi-view aggregation and result files."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from svit.engine.errors import ResultsError
from svit.engine.results import aggregate_views, write_results


def views():
    # 2 videos x 2 views, 3 classes; one duplicated view (padding) that must count once
    index = np.array([0, 0, 1, 1, 1])
    view = np.array([0, 1, 0, 1, 1])
    scores = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [0.3, 0.3, 0.4]])
    return index, view, scores


@pytest.mark.parametrize(
    "method,expect0",
    [("sum", [0.8, 1.0, 0.2]), ("mean", [0.4, 0.5, 0.1]), ("max", [0.6, 0.7, 0.1])],
)
def test_aggregate_methods_and_dedup(method, expect0):
    out = aggregate_views(*views(), num_videos=2, num_views=2, method=method)
    np.testing.assert_allclose(out[0], expect0, rtol=1e-6)
    if method == "sum":
        np.testing.assert_allclose(out[1], [0.4, 0.4, 1.2], rtol=1e-6)


def test_missing_view_fails_naming_video():
    index, view, scores = views()
    with pytest.raises(ResultsError, match="vid_b: 1"):
        aggregate_views(index[:3], view[:3], scores[:3], 2, 2, "mean", ["vid_a", "vid_b"])


def test_write_results_files(tmp_path):
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)
    labels = np.array([0, 1, 1, -1])
    res = write_results(str(tmp_path), scores, labels, ["a", "b", "c", "d"], ["x", "y", "z"],
                        {"ensemble_method": "sum"}, "ck.pyth", {"missing_boxes": "skip", "skipped": 2}, 8)
    assert res["top1"] == pytest.approx(200 / 3) and res["top5"] == 100.0
    assert res["mean_class_accuracy"] == pytest.approx(75.0)  # class x: 1/1, class y: 1/2
    assert res["num_videos"] == 4 and res["num_labelled_videos"] == 3 and res["num_views"] == 8
    on_disk = json.load(open(tmp_path / "test_results.json"))
    assert on_disk["split_info"]["skipped"] == 2 and on_disk["checkpoint"] == "ck.pyth"
    rows = list(csv.reader(open(tmp_path / "per_class_accuracy.csv")))
    assert rows[2][:4] == ["1", "y", "2", "1"]
    conf = list(csv.reader(open(tmp_path / "confusion_matrix.csv")))
    assert conf[0] == ["true\\pred", "x", "y", "z"] and conf[2][1:] == ["1", "1", "0"]
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    npz = np.load(tmp_path / "test_scores.npz")
    assert list(npz["video_ids"]) == ["a", "b", "c", "d"] and npz["labels"].tolist() == [0, 1, 1, -1]
