"""Every family's tiny synthetic config trains a few steps, validates and runs the multi-view test
through the one engine (the same path as ``tools/run_net.py``), writing the result files."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import torch

from svit.config import load_config
from svit.engine.run import run_phases

REPO = Path(__file__).resolve().parents[2]
FAMILY_CONFIGS = sorted(
    p for p in (REPO / "configs" / "synthetic").glob("*_tiny.yaml") if p.stem not in {"svit_tiny", "mvit_tiny"}
)


def test_every_family_has_a_synthetic_config() -> None:
    names = {p.stem for p in FAMILY_CONFIGS}
    for family in ("tsn", "tsm", "tam", "i3d", "resnet3d", "s3d", "r2plus1d", "h2cn", "side4video"):
        assert f"{family}_tiny" in names


@pytest.mark.parametrize("cfg_path", FAMILY_CONFIGS, ids=lambda p: p.stem)
def test_family_trains_and_tests(cfg_path: Path, synthetic_root: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cfg = load_config(
        str(cfg_path),
        [
            "SYNTHETIC.ROOT", synthetic_root,
            "OUTPUT_DIR", str(out),
            "SOLVER.MAX_EPOCH", "1",
            "TRAIN.MAX_STEPS_PER_EPOCH", "2",
            "TRAIN.EVAL_PERIOD", "1",
            "DATA_LOADER.NUM_WORKERS", "0",
            "TENSORBOARD.ENABLE", "False",
        ],
    )
    result = run_phases(cfg, torch.device("cpu"))["test"]

    assert (out / "config.yaml").is_file()
    assert list((out / "checkpoints").glob("checkpoint_epoch_*.pyth")), "no checkpoint written"
    stats = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    losses = [s["loss"] for s in stats if "loss" in s]
    assert losses and all(math.isfinite(v) for v in losses)

    written = json.loads((out / "test_results.json").read_text())
    assert written["num_videos"] == result["num_videos"] > 0
    assert 0.0 <= written["top1"] <= written["top5"] <= 100.0
    with open(out / "per_class_accuracy.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12  # the synthetic label map's classes
    assert (out / "confusion_matrix.png").stat().st_size > 0
