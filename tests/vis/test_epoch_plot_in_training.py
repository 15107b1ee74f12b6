"""The trainer redraws stats.png at each epoch end, and a plot that fails never stops training."""
from __future__ import annotations

import torch

from .conftest import CONFIGS, tiny_overrides


def _train(root: str, out, epochs: int):
    from svit.config import load_config
    from svit.engine.run import run_phases

    cfg = load_config(str(CONFIGS / "tsm_tiny.yaml"), tiny_overrides(root, out) + [
        "SOLVER.MAX_EPOCH", str(epochs), "TRAIN.MAX_STEPS_PER_EPOCH", "1", "TRAIN.EVAL_PERIOD", "0",
        "TEST.ENABLE", "False", "TENSORBOARD.ENABLE", "False"])
    run_phases(cfg, torch.device("cpu"))


def test_training_writes_stats_png_and_survives_a_failing_plot(tiny_root, tmp_path, monkeypatch):
    _train(tiny_root, tmp_path / "ok", 1)
    assert (tmp_path / "ok" / "stats.png").read_bytes()[:4] == b"\x89PNG"

    import svit.vis.plots

    def broken(*a, **k):
        raise RuntimeError("no fonts here")

    monkeypatch.setattr(svit.vis.plots, "runs_figure", broken)
    _train(tiny_root, tmp_path / "broken", 2)
    log = (tmp_path / "broken" / "log.txt").read_text()
    assert log.count("no fonts here") == 2 and "WARNING" in log  # one warning per epoch, both epochs trained
    assert len(list((tmp_path / "broken" / "checkpoints").glob("*.pyth"))) == 2
    assert not (tmp_path / "broken" / "stats.png").exists()
