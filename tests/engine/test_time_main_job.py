"""tools/time_main_job.py: what it reads from a finished run, how it sums seeds up, and that it never
writes into a folder holding earlier results (no run is started here: the timing itself is not tested)."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("time_main_job", REPO / "tools" / "time_main_job.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["time_main_job"] = mod
    spec.loader.exec_module(mod)
    return mod


def _fake_run(run_dir: Path, top1: float) -> None:
    run_dir.mkdir(parents=True)
    (run_dir / "test_results.json").write_text(json.dumps(
        {"top1": top1, "top5": 100.0, "mean_class_accuracy": top1 - 1, "num_videos": 200}))
    rows = ["class_index,class_name,num_videos,num_correct,accuracy"]
    rows += [f"{i},class {i},10,{10 - (i == 1)},{100.0 - 10 * (i == 1):.4f}" for i in range(12)]
    (run_dir / "per_class_accuracy.csv").write_text("\n".join(rows) + "\n")


def test_reads_results_and_order_pairs(tmp_path: Path) -> None:
    tool = _tool()
    _fake_run(tmp_path / "run", 97.5)
    got = tool.read_results(tmp_path / "run")
    assert (got["top1"], got["top5"], got["mean_class_accuracy"]) == (97.5, 100.0, 96.5)
    assert got["per_class"][1] == 90.0 and len(got["per_class"]) == 12
    assert got["pairs"][0] == {"classes": ["class 0", "class 1"], "accuracy": [100.0, 90.0]}
    assert len(got["pairs"]) == 6


def test_missing_results_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="test_results.json"):
        _tool().read_results(tmp_path)


def test_aggregate_and_verdict_over_seeds() -> None:
    tool = _tool()
    rows = [
        {"seed": 0, "exit_code": 0, "wall_s": 150.0, "cpu_s": 290.0, "top1": 96.0, "top5": 100.0,
         "mean_class_accuracy": 95.0},
        {"seed": 1, "exit_code": 0, "wall_s": 170.0, "cpu_s": 310.0, "top1": 98.0, "top5": 100.0,
         "mean_class_accuracy": 97.0},
    ]
    agg = tool.aggregate(rows)
    assert agg["wall_s"] == {"mean": 160.0, "min": 150.0, "max": 170.0}
    assert agg["top1"]["min"] == 96.0
    assert tool.verdict(rows, 95.0, 180.0)
    assert not tool.verdict(rows, 97.0, 180.0)  # seed 0 under the accuracy target
    assert not tool.verdict(rows, 95.0, 160.0)  # seed 1 over the time target
    assert not tool.verdict(rows + [{"seed": 2, "exit_code": 1, "wall_s": 5.0}], 95.0, 180.0)
    assert tool.aggregate(rows + [{"seed": 2, "exit_code": 1, "wall_s": 5.0}]) == agg  # failed runs left out


def test_refuses_an_output_folder_with_results(tmp_path: Path, capsys) -> None:
    out = tmp_path / "timing"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    assert _tool().main(["--out", str(out), "--seeds", "0"]) == 2
    assert "already holds files" in capsys.readouterr().err
    assert (out / "summary.json").read_text() == "{}"


def test_wrong_config_is_one_line_and_makes_no_folder(tmp_path: Path, capsys) -> None:
    out = tmp_path / "timing"
    assert _tool().main(["--cfg", str(tmp_path / "no_such.yaml"), "--seeds", "0", "--out", str(out)]) == 2
    assert "no_such.yaml" in capsys.readouterr().err
    assert not out.exists()
