"""The trainer redraws stats.png after the last epoch and after any epoch a minute past the previous
drawing, and a plot that fails never stops training."""
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
    # epoch 1 ends within a minute of the start: no drawing; the last epoch always draws (and warns)
    assert log.count("no fonts here") == 1 and "WARNING" in log
    assert len(list((tmp_path / "broken" / "checkpoints").glob("*.pyth"))) == 2
    assert not (tmp_path / "broken" / "stats.png").exists()


def test_redraw_schedule_last_epoch_and_once_a_minute(monkeypatch):
    from svit.vis import epoch_plot

    drawn = []
    monkeypatch.setattr(epoch_plot, "plot_epoch_stats", lambda cfg: drawn.append(now[0]) or "stats.png")
    now = [100.0]
    plot = epoch_plot.EpochPlot(cfg=None, clock=lambda: now[0])
    for t, last in ((120.0, False), (159.0, False), (161.0, False), (200.0, False), (230.0, True)):
        now[0] = t
        plot.after_epoch(last)
    assert drawn == [161.0, 230.0]  # 61 s after the start, then the last epoch (69 s later, but last)
    for t in (300.0, 400.0):  # epochs longer than a minute: every epoch
        now[0] = t
        plot.after_epoch(False)
    assert drawn[-2:] == [300.0, 400.0]
