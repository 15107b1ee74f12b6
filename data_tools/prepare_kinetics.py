#!/usr/bin/env python
"""Kinetics-400 -> list files for ``configs/datasets/k400.yaml``.

Inputs, as distributed: the official CSVs (header ``label,youtube_id,time_start,time_end,split``;
the test CSV may lack the label column) and the trimmed clips ``<youtube_id>_<start:06d>_<end:06d>.mp4``
anywhere under ``--videos`` (flat, per split, or per class folder: the tree is indexed once).
Classes: the sorted class names of the train CSV (the order of the official label list), or
``--classes FILE`` (one per line, row = label). Output (``--out``): ``train.txt``, ``val.txt`` (and
``test.txt`` when the test CSV has labels) as ``path label`` lines, ``path`` relative to
``--videos``; ``classes.txt``; ``problems.txt`` with every malformed row, unknown class and missing
clip (file:line), all counted. Videos deleted from YouTube are common: they are reported, not fatal
(``--strict`` makes them fatal).

Example:
  python data_tools/prepare_kinetics.py --csv-dir /data/k400/annotations --videos /data/k400/videos \\
      --out /data/k400/lists
"""
from __future__ import annotations

import csv
import glob
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from data_tools._prepare_helpers import MediaIndex, Problems, base_parser, progress, read_lines, write_outputs

SPLIT_WORDS = {"train": ("train",), "val": ("validate", "validation", "val"), "test": ("test",)}


def find_csvs(csv_dir: str) -> dict[str, str]:
    """The train/val/test CSVs of a folder, by the word their name ends with (``train.csv``,
    ``kinetics-400_val.csv``, ``validate.csv``, ...)."""
    found: dict[str, str] = {}
    for path in sorted(glob.glob(os.path.join(csv_dir, "*.csv"))):
        stem = os.path.splitext(os.path.basename(path))[0].lower()
        for split, words in SPLIT_WORDS.items():
            if any(stem == w or stem.endswith(("_" + w, "-" + w)) for w in words):
                if split in found:
                    raise SystemExit(f"error: two {split} CSVs in {csv_dir}: {found[split]} and {path}")
                found[split] = path
    for split in ("train", "val"):
        if split not in found:
            raise SystemExit(f"error: no {split} CSV in {csv_dir} (expected a name ending in {SPLIT_WORDS[split]})")
    return found


def clip_name(youtube_id: str, start: str, end: str) -> str:
    """``<youtube_id>_<start:06d>_<end:06d>`` (times are whole seconds, sometimes written as floats)."""
    return f"{youtube_id}_{int(float(start)):06d}_{int(float(end)):06d}"


def read_kinetics_csv(path: str, problems: Problems) -> tuple[list[tuple[int, str | None, str]], int]:
    """``[(line, class name or None, clip name)]`` of one CSV and the number of data rows."""
    if not os.path.isfile(path):
        raise SystemExit(f"error: annotation file not found: {path}")
    rows: list[tuple[int, str | None, str]] = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        need = ["youtube_id", "time_start", "time_end"]
        if any(h not in header for h in need):
            raise SystemExit(f"error: {path}:1: header must name {need} (+ label), got {header}")
        col = {h: i for i, h in enumerate(header)}
        listed = 0
        for lineno, row in enumerate(reader, 2):
            if not row or not any(x.strip() for x in row):
                continue
            listed += 1
            if len(row) != len(header):
                problems.add("malformed", path, lineno, f"{len(row)} fields, header has {len(header)}: {row}")
                continue
            try:
                name = clip_name(row[col["youtube_id"]].strip(), row[col["time_start"]], row[col["time_end"]])
            except ValueError:
                problems.add("malformed", path, lineno, f"time_start/time_end are not numbers: {row}")
                continue
            label = row[col["label"]].strip() if "label" in col else None
            rows.append((lineno, label or None, name))
    return rows, listed


def to_lines(path: str, rows, index: dict[str, int], videos: MediaIndex, problems: Problems, show: bool,
             labelled: bool = True) -> list[str]:
    """``relpath label`` lines of the rows whose class is in ``index`` and whose clip exists."""
    lines = []
    for lineno, label, name in progress(rows, os.path.basename(path), show):
        if labelled and label is None:
            problems.add("malformed", path, lineno, f"clip {name} has no label")
            continue
        if label is not None and label not in index:
            continue  # caller decides whether unknown classes are problems (full K400) or filtered (mini)
        rel = videos.find(name)
        if rel is None:
            problems.add("missing", path, lineno, f"clip {name} not found under {videos.root}")
            continue
        lines.append(f"{rel} {index[label]}" if label is not None else rel)
    return lines


def main(argv: list[str] | None = None) -> int:
    p = base_parser(__doc__)
    p.add_argument("--csv-dir", required=True, help="folder with the official train/val[/test] CSV files")
    p.add_argument("--videos", required=True, help="folder with the trimmed clips (any sub-folder layout)")
    p.add_argument("--classes", default="",
                   help="class list (one per line, row = label); default: sorted train classes")
    a = p.parse_args(argv)
    csvs = find_csvs(a.csv_dir)
    problems = Problems()
    parsed = {split: read_kinetics_csv(path, problems) for split, path in csvs.items()}
    if a.classes:
        classes = [t for _, t in read_lines(a.classes)]
    else:
        classes = sorted({label for _, label, _ in parsed["train"][0] if label})
    index = {c: i for i, c in enumerate(classes)}
    videos = MediaIndex(a.videos, "video", not a.no_progress)
    lists, listed = {}, {}
    for split, (rows, n) in parsed.items():
        if split == "test" and not any(label for _, label, _ in rows):
            print(f"test: {csvs['test']} has no labels; no test.txt written (evaluate on val.txt)")
            continue
        for lineno, label, name in rows:
            if label is not None and label not in index:
                problems.add("unknown_class", csvs[split], lineno,
                             f"class {label!r} of clip {name} is not in the class list")
        lists[split] = to_lines(csvs[split], rows, index, videos, problems, not a.no_progress)
        listed[split] = n
    return write_outputs(a.out, lists, classes, problems, a.strict, listed)


if __name__ == "__main__":
    sys.exit(main())
