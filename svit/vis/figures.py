"""Frame grids as matplotlib figures: one row per clip, one column per frame, a title naming the
video and the checkpoint, row labels, and a legend for what is drawn on the frames."""
from __future__ import annotations

import os

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from svit.vis.drawing import SLOT_COLORS, SLOT_NAMES, to_palette_png


def frames_grid(rows: list[tuple[str, np.ndarray]], title: str, col_titles: list[str] | None = None,
                legend: list[tuple[str, tuple]] | None = None, cell: float = 1.3,
                side_text: list[str] | None = None) -> Figure:
    """``rows``: (label, frames ``(T, H, W, 3)`` uint8). ``legend``: (name, RGB) entries shown under
    the grid. ``side_text``: one block of text per row shown right of it (scores, targets)."""
    n_cols = max(len(f) for _, f in rows)
    extra = 1 if side_text else 0
    widths = [1.0] * n_cols + ([2.4] if extra else [])
    # Figure without pyplot: no backend is chosen or switched (works headless and inside notebooks)
    fig = Figure(figsize=(cell * (n_cols + 2.4 * extra) + 1.2, cell * len(rows) + 1.1))
    axes = fig.subplots(len(rows), n_cols + extra, squeeze=False, gridspec_kw={"width_ratios": widths})
    for r, (label, frames) in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(frames):
                ax.imshow(frames[c], interpolation="nearest")
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center", labelpad=4)
            if r == 0 and col_titles and c < len(col_titles):
                ax.set_title(col_titles[c], fontsize=7)
        if extra:
            ax = axes[r, -1]
            ax.axis("off")
            ax.text(0.0, 0.5, side_text[r] if r < len(side_text) else "", fontsize=6.5, va="center",
                    family="monospace", transform=ax.transAxes)
    fig.suptitle(title, fontsize=8)
    if legend:
        handles = [Patch(facecolor=np.asarray(c) / 255, label=n) for n, c in legend]
        fig.legend(handles=handles, loc="lower center", ncol=min(6, len(handles)), fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.06 if legend else 0, 1, 0.95))
    return fig


def slot_legend() -> list[tuple[str, tuple]]:
    """Legend entries of the box slots."""
    return [(n, c) for n, c in zip(SLOT_NAMES, SLOT_COLORS)]


def contact_text(states) -> str:
    """Contact states ``(T, 2)`` of hands 0 and 1 per frame, one letter each: P portable-object
    contact, N no contact, - missing (svit/data/haog.py)."""
    letters = {3: "P", 0: "N", -1: "-"}
    per_frame = [f"{letters.get(int(a), '?')}{letters.get(int(b), '?')}" for a, b in np.asarray(states)]
    return "contact h0h1 per frame\n(P object, N none, - missing):\n" + " ".join(per_frame)


#: Resolution of the saved pictures (tools/visualize.py --dpi sets it).
DPI = 80
#: Save 256-colour palette PNGs (a third of the size; tools/visualize.py --palette), e.g. for docs.
PALETTE = False


def save(fig: Figure, path: str, dpi: int | None = None) -> str:
    """PNG via a temporary file (at ``dpi``, default ``DPI``)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=dpi or DPI)
    if PALETTE:
        to_palette_png(tmp)
    os.replace(tmp, path)
    return path


def class_name(names: list[str] | None, idx: int) -> str:
    """The class name of ``idx`` (the index when no name is known)."""
    if names and 0 <= idx < len(names) and names[idx]:
        return names[idx]
    return f"class {idx}"
