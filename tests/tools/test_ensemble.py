"""tools/ensemble.py and svit.apps.ensemble on tiny hand-made test_scores.npz files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from svit.apps.ensemble import ensemble_runs

REPO = Path(__file__).resolve().parents[2]
LABELS = {"a": 0, "b": 1, "c": 2, "d": 2, "z": 1}
# Run A (8 segments) gets a and c right; run B (16 segments) gets b, c and d right.
RUN_A = {
    "a": [0.60, 0.10, 0.10, 0.10, 0.05, 0.05],
    "b": [0.50, 0.30, 0.10, 0.05, 0.03, 0.02],
    "c": [0.10, 0.10, 0.70, 0.05, 0.03, 0.02],
    "d": [0.40, 0.10, 0.35, 0.05, 0.05, 0.05],
}
RUN_B = {
    "d": [0.10, 0.10, 0.70, 0.04, 0.03, 0.03],
    "c": [0.30, 0.10, 0.50, 0.04, 0.03, 0.03],
    "b": [0.10, 0.80, 0.04, 0.03, 0.02, 0.01],
    "a": [0.45, 0.50, 0.02, 0.01, 0.01, 0.01],
}


def _write_run(root: Path, name: str, rows: dict[str, list[float]]) -> Path:
    run = root / name
    run.mkdir()
    ids = list(rows)
    np.savez(
        run / "test_scores.npz",
        scores=np.asarray([rows[v] for v in ids], dtype=np.float32),
        labels=np.asarray([LABELS[v] for v in ids], dtype=np.int64),
        video_ids=np.asarray(ids, dtype=str),
    )
    return run


def test_join_by_video_id_and_accuracies(tmp_path):
    a = _write_run(tmp_path, "f8", RUN_A)
    b = _write_run(tmp_path, "f16", RUN_B)  # stored in reverse order: a row-order join would fail
    out = tmp_path / "ens"
    res = ensemble_runs([a, b], out_dir=out)
    assert res["num_videos"] == 4
    assert res["runs"][0]["top1"] == pytest.approx(50.0)
    assert res["runs"][0]["mean_class_accuracy"] == pytest.approx((100 + 0 + 50) / 3)
    assert res["runs"][1]["top1"] == pytest.approx(75.0)
    assert res["runs"][1]["mean_class_accuracy"] == pytest.approx((0 + 100 + 100) / 3)
    assert res["ensemble"]["top1"] == pytest.approx(100.0)
    assert res["ensemble"]["mean_class_accuracy"] == pytest.approx(100.0)
    assert res["ensemble"]["top5"] == pytest.approx(100.0)
    saved = json.loads((out / "ensemble_results.json").read_text())
    assert saved["ensemble"]["top1"] == pytest.approx(100.0)
    with np.load(out / "ensemble_scores.npz") as z:
        ids = z["video_ids"].tolist()
        assert ids == ["a", "b", "c", "d"]
        np.testing.assert_allclose(z["scores"][3], (np.array(RUN_A["d"]) + np.array(RUN_B["d"])) / 2, rtol=1e-6)
        assert z["labels"].tolist() == [0, 1, 2, 2]


def test_weights_select_a_run(tmp_path):
    a = _write_run(tmp_path, "f8", RUN_A)
    b = _write_run(tmp_path, "f16", RUN_B)
    res = ensemble_runs([a, b], weights=[1.0, 0.0])
    assert res["ensemble"]["top1"] == pytest.approx(50.0)
    res = ensemble_runs([a, b], weights=[0.0, 3.0])
    assert res["ensemble"]["top1"] == pytest.approx(75.0)
    with pytest.raises(ValueError, match="weights"):
        ensemble_runs([a, b], weights=[1.0])


def test_mismatched_ids_are_listed(tmp_path):
    a = _write_run(tmp_path, "f8", RUN_A)
    partial = {k: v for k, v in RUN_B.items() if k != "c"}
    b = _write_run(tmp_path, "f16", partial)
    with pytest.raises(ValueError, match=r"missing 1 ids \['c'\]"):
        ensemble_runs([a, b])


def test_cli_writes_results_and_fails_on_mismatch(tmp_path):
    a = _write_run(tmp_path, "f8", RUN_A)
    b = _write_run(tmp_path, "f16", RUN_B)
    out = tmp_path / "cli_out"
    cmd = [sys.executable, str(REPO / "tools" / "ensemble.py"), str(a), str(b / "test_scores.npz"), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "ensemble_results.json").read_text())["ensemble"]["top1"] == pytest.approx(100.0)
    c = _write_run(tmp_path, "other", {"a": RUN_A["a"], "z": RUN_A["b"], "c": RUN_A["c"], "d": RUN_A["d"]})
    done = subprocess.run(cmd[:2] + [str(a), str(c)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert "'b'" in done.stderr and "'z'" in done.stderr
