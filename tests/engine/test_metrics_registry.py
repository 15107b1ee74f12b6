"""Test metrics are registered parts: TEST.METRICS picks them in order, a new metric is one
registered function, the confusion outputs are a metric of their own, and the default set gives
exactly the entries the test phase always wrote."""
from __future__ import annotations

import json

import numpy as np
import pytest

from svit.config import ConfigError, load_config
from svit.engine.metrics import METRIC_REGISTRY, MetricInput, evaluate_metrics
from svit.engine.results import DEFAULT_METRICS, write_results

SCORES = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.5, 0.4, 0.1], [0.2, 0.3, 0.5]], np.float32)
LABELS = np.array([0, 1, 1, -1])


@pytest.fixture()
def video_count_metric():
    @METRIC_REGISTRY.register("zz_labelled_share")
    def labelled_share(inp: MetricInput) -> dict:
        """Share of labelled videos; NaN when there are none."""
        return {"labelled_share": float(inp.known.mean()) if len(inp.labels) else float("nan")}

    yield "zz_labelled_share"
    METRIC_REGISTRY._items.pop("zz_labelled_share")


def _write(tmp_path, metrics, labels=LABELS):
    return write_results(str(tmp_path), SCORES, labels, ["a", "b", "c", "d"], None, {}, None, None, 4,
                         save_scores=False, metrics=metrics)


def test_default_set_is_topk_mean_class_accuracy_and_confusion(tmp_path):
    assert tuple(load_config(None, []).TEST.METRICS) == DEFAULT_METRICS
    res = _write(tmp_path, DEFAULT_METRICS)
    assert list(res)[:3] == ["top1", "top5", "mean_class_accuracy"]
    assert res["top1"] == pytest.approx(100 * 2 / 3) and res["top5"] == 100.0
    assert res["mean_class_accuracy"] == pytest.approx(75.0)  # class 0: 1/1, class 1: 1/2
    rows = (tmp_path / "confusion_matrix.csv").read_text().splitlines()
    assert rows[1:3] == ["0,1,0,0", "1,1,1,0"]
    assert (tmp_path / "per_class_accuracy.csv").exists() and (tmp_path / "confusion_matrix.png").exists()


def test_a_new_metric_is_one_registered_function_and_nan_is_null(tmp_path, video_count_metric):
    res = _write(tmp_path, ["topk", video_count_metric])
    assert list(res)[:3] == ["top1", "top5", "labelled_share"] and res["labelled_share"] == 0.75
    assert "mean_class_accuracy" not in res
    assert not (tmp_path / "confusion_matrix.csv").exists()  # confusion is a metric: not asked, not written
    res = _write(tmp_path / "none", [video_count_metric, "topk"], labels=np.full(4, -1))
    on_disk = json.loads((tmp_path / "none" / "test_results.json").read_text())
    assert on_disk["top1"] is None and res["labelled_share"] == 0.0


def test_two_metrics_returning_one_entry_is_an_error():
    with pytest.raises(ValueError, match="'top1'.*earlier metric"):
        evaluate_metrics(["topk", "topk"], MetricInput(SCORES, LABELS))


def test_test_metrics_key_names_registered_metrics():
    with pytest.raises(ConfigError, match="TEST.METRICS must be one of .*'no_such_metric'"):
        load_config(None, ["TEST.METRICS", "['topk', 'no_such_metric']"])
