"""The plotted curves are the numbers in stats.jsonl; the tool and the trainer's epoch-end plot."""
from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import pytest

from svit.vis.plots import runs_figure
from svit.vis.stats import StatsError, read_run

REPO = Path(__file__).resolve().parents[2]


def _write_run(folder: Path, offset: float, ema: bool) -> list[dict]:
    folder.mkdir(parents=True)
    recs = []
    for epoch in (1, 2):
        for it in (2, 4):
            recs.append({"_type": "train_iter", "epoch": epoch, "iter": it, "iters": 4, "lr": 0.1 * epoch + it,
                         "loss": offset + 3 - epoch - it / 10, "loss_cls": offset + 2 - epoch,
                         "loss_svmix_mask": 0.01 * it,
                         "top1": 10.0 * epoch + it, "top5": 50.0 + it, "data_time": 0.01 * it, "step_time": 0.5 + it,
                         "eta": "0:00:01", "time": 1.0})
        recs.append({"_type": "train_epoch", "epoch": epoch, "loss": 2.0, "num_bad": 0})
        val = {"_type": "val_epoch", "epoch": epoch, "top1": offset + 20.0 * epoch, "top5": 60.0 + epoch,
               "loss": 1.5 / epoch, "num_samples": 8}
        if ema:
            val |= {"ema_top1": offset + 25.0 * epoch, "ema_top5": 70.0, "ema_loss": 1.0}
        recs.append(val)
    lines = [json.dumps(r) for r in recs] + ['{"_type": "train_iter", "epo']  # a line cut by a kill
    (folder / "stats.jsonl").write_text("\n".join(lines) + "\n")
    return recs


def _lines(fig) -> dict[str, tuple[list, list]]:
    out = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            out[(ax.get_title(), line.get_label())] = (list(line.get_xdata()), list(line.get_ydata()))
    return out


def test_plotted_series_equal_the_stats(tmp_path):
    a = _write_run(tmp_path / "a", 0.0, ema=True)
    _write_run(tmp_path / "b", 5.0, ema=False)
    runs = [read_run(str(tmp_path / "a"), "SV-Mix"), read_run(str(tmp_path / "b"), "baseline")]
    lines = _lines(runs_figure(runs))
    it = [r for r in a if r["_type"] == "train_iter"]
    val = [r for r in a if r["_type"] == "val_epoch"]
    x_it = [r["epoch"] - 1 + r["iter"] / r["iters"] for r in it]
    loss_title = "loss (train per log period, val per epoch)"
    assert lines[(loss_title, "SV-Mix: loss")] == (x_it, [r["loss"] for r in it])
    assert lines[(loss_title, "SV-Mix: val loss")] == ([1.0, 2.0], [r["loss"] for r in val])
    terms_title = "loss terms (train, per log period)"
    assert lines[(terms_title, "SV-Mix: loss_cls")] == (x_it, [r["loss_cls"] for r in it])
    assert lines[(terms_title, "SV-Mix: loss_svmix_mask")] == (x_it, [r["loss_svmix_mask"] for r in it])
    assert lines[("accuracy", "SV-Mix: val top1")] == ([1.0, 2.0], [r["top1"] for r in val])
    assert lines[("accuracy", "SV-Mix: val top5")] == ([1.0, 2.0], [r["top5"] for r in val])
    assert lines[("learning rate", "SV-Mix: lr")] == (x_it, [r["lr"] for r in it])
    assert lines[("time per step", "SV-Mix: data_time")] == (x_it, [r["data_time"] for r in it])
    assert lines[("time per step", "SV-Mix: step_time")] == (x_it, [r["step_time"] for r in it])
    ema_title = "online vs EMA (val top-1)"
    assert lines[(ema_title, "SV-Mix: ema top1")] == ([1.0, 2.0], [r["ema_top1"] for r in val])
    assert lines[(ema_title, "baseline: online top1")] == ([1.0, 2.0], [25.0, 45.0])
    assert (ema_title, "baseline: ema top1") not in lines  # no EMA in that run: no line
    legend = [t.get_text() for t in fig_legend_texts(runs)]
    assert "SV-Mix: val top1" in legend and "baseline: val top1" in legend


def fig_legend_texts(runs):
    fig = runs_figure(runs)
    acc = next(ax for ax in fig.axes if ax.get_title() == "accuracy")
    return acc.get_legend().get_texts()


def _tool():
    spec = importlib.util.spec_from_file_location("tool_plot_runs", REPO / "tools" / "plot_runs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_plot_runs_tool_labels_png_and_html(tmp_path, capsys):
    _write_run(tmp_path / "a", 0.0, ema=True)
    _write_run(tmp_path / "b", 1.0, ema=False)
    out = tmp_path / "plots"
    tool = _tool()
    assert tool.main([f"{tmp_path / 'a'}:SV-Mix", f"{tmp_path / 'b'}:baseline", "--out", str(out), "--html"]) == 0
    assert (out / "runs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "runs.html").read_text()
    assert html.count("data:image/png;base64,") == 6 and "SV-Mix" in html and "baseline" in html
    assert tool.main([str(tmp_path / "a"), str(tmp_path / "b"), "--label", "x"]) == 2
    assert "1 --label for 2 runs" in capsys.readouterr().err
    assert tool.main([str(tmp_path / "nothing"), "--out", str(out)]) == 2
    assert "no stats.jsonl" in capsys.readouterr().err


def test_read_run_errors_name_the_folder(tmp_path):
    with pytest.raises(StatsError, match=str(tmp_path)):
        read_run(str(tmp_path))
    (tmp_path / "stats.jsonl").write_text("not json\n")
    with pytest.raises(StatsError, match="holds no records"):
        read_run(str(tmp_path))


def test_epoch_plot_writes_stats_png_and_never_raises(tmp_path):
    from svit.config import load_config
    from svit.vis.epoch_plot import plot_epoch_stats

    run = tmp_path / "run"
    _write_run(run, 0.0, ema=True)
    cfg = load_config(str(REPO / "configs" / "synthetic" / "svit_tiny.yaml"), ["OUTPUT_DIR", str(run)])
    assert plot_epoch_stats(cfg) == str(run / "stats.png")
    assert (run / "stats.png").stat().st_size > 1000
    cfg.TRAIN.PLOT_STATS = False
    (run / "stats.png").unlink()
    assert plot_epoch_stats(cfg) is None and not (run / "stats.png").exists()
    cfg.TRAIN.PLOT_STATS = True
    cfg.OUTPUT_DIR = str(tmp_path / "empty")  # nothing to plot: a warning, no exception
    seen: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: seen.append(record.getMessage())  # svit loggers may not propagate
    logging.getLogger("svit.vis").addHandler(handler)
    try:
        assert plot_epoch_stats(cfg) is None
    finally:
        logging.getLogger("svit.vis").removeHandler(handler)
    assert any("TRAIN.PLOT_STATS False turns this off" in m for m in seen)
