"""Training curves of one or several runs, overlaid: what ``tools/plot_runs.py`` and the trainer's
epoch-end ``stats.png`` show.

Panels (x = epoch, fractional for the per-iteration records): the total loss, each loss term, train
and validation top-1/top-5, the learning rate, data and step time, and the online against the EMA
model's validation top-1. Each run has one colour in every panel; within a panel the line style tells
the series apart. Every line's label is ``"<run>: <series>"`` so legends and tests can find it.
"""
from __future__ import annotations

import base64
import io
import os
from typing import Callable

# Figures are built without pyplot: no GUI backend is chosen or switched (training runs headless, a
# notebook keeps its own backend), and nothing global is left open.
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from svit.vis.drawing import to_palette_png
from svit.vis.stats import Run, iter_x, loss_terms, series

STYLES = ("-", "--", ":", "-.")


def _color(i: int) -> str:
    return f"C{i % 10}"


def _line(ax: Axes, x: list[float], y: list[float], label: str, color: str, style: str = "-",
          marker: str | None = None) -> None:
    if x:
        ax.plot(x, y, style, color=color, label=label, marker=marker, markersize=4)


def draw_loss(ax: Axes, runs: list[Run]) -> None:
    """Total training loss per log period and validation loss per epoch."""
    for i, run in enumerate(runs):
        _line(ax, *series(run.of("train_iter"), "loss", iter_x), f"{run.label}: loss", _color(i))
        _line(ax, *series(run.of("val_epoch"), "loss"), f"{run.label}: val loss", _color(i), "--", "o")
    ax.set_title("loss (train per log period, val per epoch)")
    ax.set_ylabel("loss")


def draw_terms(ax: Axes, runs: list[Run]) -> None:
    """Each loss term (log scale: terms differ by orders of magnitude)."""
    drawn = False
    for i, run in enumerate(runs):
        recs = run.of("train_iter")
        for j, term in enumerate(loss_terms(recs)):
            x, y = series(recs, term, iter_x)
            # one run: a colour per term; several: the run's colour, a style per term
            color, style = (_color(j + 1), "-") if len(runs) == 1 else (_color(i), STYLES[j % len(STYLES)])
            if x:
                ax.plot(x, y, style, color=color, label=f"{run.label}: {term}", linewidth=0.9, alpha=0.85)
                drawn = drawn or any(v > 0 for v in y)
    if drawn:
        ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_title("loss terms (train, per log period)")
    ax.set_ylabel("loss")


def draw_accuracy(ax: Axes, runs: list[Run]) -> None:
    """Train top-1 per log period, validation top-1 and top-5 per epoch (%)."""
    for i, run in enumerate(runs):
        _line(ax, *series(run.of("train_iter"), "top1", iter_x), f"{run.label}: train top1", _color(i), ":")
        val = run.of("val_epoch")
        _line(ax, *series(val, "top1"), f"{run.label}: val top1", _color(i), "-", "o")
        _line(ax, *series(val, "top5"), f"{run.label}: val top5", _color(i), "--", "s")
    ax.set_title("accuracy")
    ax.set_ylabel("%")


def draw_lr(ax: Axes, runs: list[Run]) -> None:
    for i, run in enumerate(runs):
        _line(ax, *series(run.of("train_iter"), "lr", iter_x), f"{run.label}: lr", _color(i))
    ax.set_title("learning rate")
    ax.set_ylabel("lr")


def draw_time(ax: Axes, runs: list[Run]) -> None:
    """Seconds per step waiting for data and per whole step (means over each log period)."""
    for i, run in enumerate(runs):
        recs = run.of("train_iter")
        _line(ax, *series(recs, "step_time", iter_x), f"{run.label}: step_time", _color(i))
        _line(ax, *series(recs, "data_time", iter_x), f"{run.label}: data_time", _color(i), "--")
    ax.set_title("time per step")
    ax.set_ylabel("s")


def draw_ema(ax: Axes, runs: list[Run]) -> None:
    """Validation top-1 of the online model against the EMA model (runs without an EMA: online only)."""
    for i, run in enumerate(runs):
        val = run.of("val_epoch")
        _line(ax, *series(val, "top1"), f"{run.label}: online top1", _color(i), "-", "o")
        _line(ax, *series(val, "ema_top1"), f"{run.label}: ema top1", _color(i), "--", "^")
    ax.set_title("online vs EMA (val top-1)")
    ax.set_ylabel("%")


PANELS: dict[str, Callable[[Axes, list[Run]], None]] = {
    "loss": draw_loss,
    "terms": draw_terms,
    "accuracy": draw_accuracy,
    "lr": draw_lr,
    "time": draw_time,
    "ema": draw_ema,
}


def _finish(ax: Axes) -> None:
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    handles = ax.get_legend_handles_labels()[0]
    if len(handles) > 8:  # many series (loss terms of several runs): the legend goes beside the axes
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    elif handles:
        ax.legend(fontsize=7, loc="best")
    else:
        ax.text(0.5, 0.5, "no records", ha="center", va="center", transform=ax.transAxes, color="gray")


def runs_figure(runs: list[Run], title: str = "") -> Figure:
    """All panels in one figure (2 columns)."""
    rows = (len(PANELS) + 1) // 2
    fig = Figure(figsize=(14, 3.4 * rows))
    axes = fig.subplots(rows, 2, squeeze=False)
    flat = list(axes.flat)
    for ax, draw in zip(flat, PANELS.values()):
        draw(ax, runs)
        _finish(ax)
    for ax in flat[len(PANELS):]:
        ax.axis("off")
    fig.suptitle(title or "runs: " + ", ".join(f"{r.label} ({r.path})" for r in runs), fontsize=9)
    fig.tight_layout()
    return fig


def panel_figure(name: str, runs: list[Run]) -> Figure:
    """One panel of ``PANELS`` on its own."""
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    PANELS[name](ax, runs)
    _finish(ax)
    fig.tight_layout()
    return fig


def save_png(fig: Figure, path: str, dpi: int = 90, palette: bool = False) -> str:
    """Writes ``fig`` to ``path`` via a temporary file, so a reader never sees half a PNG;
    ``palette``: a 256-colour PNG (``svit.vis.drawing.to_palette_png``)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=dpi)
    if palette:
        to_palette_png(tmp)
    os.replace(tmp, path)
    return path


def png_bytes(fig: Figure, dpi: int = 90) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def html_page(runs: list[Run]) -> str:
    """A self-contained page: every panel as an embedded PNG, and the runs' folders."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>svit runs</title></head><body>",
             "<h1>Runs</h1><ul>"]
    parts += [f"<li><b>{r.label}</b>: {r.path}</li>" for r in runs]
    parts.append("</ul>")
    for name in PANELS:
        data = base64.b64encode(png_bytes(panel_figure(name, runs))).decode()
        parts.append(f"<h2>{name}</h2><img alt='{name}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    return "\n".join(parts)
