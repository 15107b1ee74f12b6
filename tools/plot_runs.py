#!/usr/bin/env python
"""Training curves of one or several runs, overlaid, from their ``stats.jsonl``.

    python tools/plot_runs.py output/svmix_svit:SV-Mix output/svit:baseline --out plots/
    python tools/plot_runs.py runA runB --label A --label B --html

Panels: loss and each loss term, train/val top-1 and top-5, learning rate, data and step time,
online vs EMA validation top-1 (svit/vis/plots.py). Labels come from ``DIR:LABEL``, else ``--label``
(in order), else the folder name. Writes ``runs.png`` (all panels) and with ``--html`` ``runs.html``
(each panel as an embedded image) into ``--out`` (default: the first run's folder).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="OUTPUT_DIR[:LABEL]", help="training output folders (stats.jsonl)")
    p.add_argument("--label", action="append", default=[], help="legend name of each run, in order (repeat)")
    p.add_argument("--out", default="", help="folder for runs.png / runs.html (default: the first run's folder)")
    p.add_argument("--html", action="store_true", help="also write runs.html with every panel embedded")
    p.add_argument("--title", default="", help="figure title (default: the runs and their folders)")
    p.add_argument("--dpi", type=int, default=90, help="resolution of runs.png")
    p.add_argument("--palette", action="store_true", help="256-colour palette PNG (smaller file, e.g. for docs)")
    return p.parse_args(argv)


def split_label(spec: str) -> tuple[str, str | None]:
    """``DIR:LABEL`` -> (DIR, LABEL); a plain existing path (even one holding ':') -> (path, None)."""
    if os.path.exists(spec) or ":" not in spec:
        return spec, None
    path, label = spec.rsplit(":", 1)
    return path, label or None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from svit.vis.plots import html_page, runs_figure, save_png
    from svit.vis.stats import StatsError, read_run

    if args.label and len(args.label) != len(args.runs):
        print(f"error: {len(args.label)} --label for {len(args.runs)} runs", file=sys.stderr)
        return 2
    runs = []
    try:
        for i, spec in enumerate(args.runs):
            path, label = split_label(spec)
            runs.append(read_run(path, label or (args.label[i] if args.label else None)))
    except StatsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or os.path.dirname(runs[0].path)
    png = save_png(runs_figure(runs, args.title), os.path.join(out, "runs.png"), args.dpi, args.palette)
    print(f"wrote {png}")
    if args.html:
        from svit.utils.atomic import atomic_write_text

        page = os.path.join(out, "runs.html")
        atomic_write_text(page, html_page(runs))
        print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
