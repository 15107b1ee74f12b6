#!/usr/bin/env python
"""Prepare list files for the list-file datasets (``tsn_list``, ``ibm_list``, ``kinetics``).

Subcommands:
* ``scan``: frame folders laid out as ``<root>/<class>/<video>/`` → TSN (``path num_frames label``)
  or IBM (``path start end label``) list; classes are the sorted class folder names (also written
  with --classes-out, one per line, for LIST_DATA.CLASS_NAMES).
* ``ssv2``: an SSv2 JSON list + label map + frames folder → TSN/IBM list (frames counted on disk).
* ``kinetics``: the official Kinetics CSV (label,youtube_id,time_start,time_end,...) → ``path label``
  lines with clip names ``{youtube_id}_{start:06d}_{end:06d}`` under ``<label>/``.

Example: python data_tools/make_lists.py ssv2 --list train.json --label-map labels.json \\
           --frames-dir frames --format tsn --out train.txt
"""
from __future__ import annotations

import argparse
import csv
import os

from tqdm import tqdm


def count_frames(folder: str, template: str, start: int) -> int:
    names = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    n = 0
    while template.format(start + n) in names:
        n += 1
    return n


def format_line(path: str, n: int, label: int | None, fmt: str, start: int, sep: str) -> str:
    fields = [path, str(n)] if fmt == "tsn" else [path, str(start), str(start + n - 1)]
    if label is not None:
        fields.append(str(label))
    return sep.join(fields)


def cmd_scan(a) -> int:
    classes = sorted(d for d in os.listdir(a.root) if os.path.isdir(os.path.join(a.root, d)))
    lines, empty = [], 0
    for ci, c in enumerate(tqdm(classes, desc="classes")):
        for v in sorted(os.listdir(os.path.join(a.root, c))):
            n = count_frames(os.path.join(a.root, c, v), a.template, a.start_index)
            if n == 0:
                empty += 1
                continue
            lines.append(format_line(f"{c}/{v}", n, ci, a.format, a.start_index, a.sep))
    _write(a.out, lines)
    if a.classes_out:
        _write(a.classes_out, classes)
    print(f"{len(lines)} videos in {len(classes)} classes -> {a.out} ({empty} empty folders skipped)")
    return 0


def cmd_ssv2(a) -> int:
    # Imported here, not at the top: svit.data imports torch, which --help need not wait for.
    from svit.data.ssv2_annotations import load_label_map, load_split_list

    label_map = load_label_map(a.label_map)
    entries = load_split_list(a.list, label_map, require_labels=not a.unlabelled)
    lines, missing = [], []
    for vid, label in tqdm(entries, desc="videos"):
        n = count_frames(os.path.join(a.frames_dir, vid), a.template, a.start_index)
        if n == 0:
            missing.append(vid)
            continue
        lines.append(format_line(vid, n, None if a.unlabelled else label, a.format, a.start_index, a.sep))
    _write(a.out, lines)
    print(f"{len(lines)} of {len(entries)} videos -> {a.out}; {len(missing)} without frames: {missing[:10]}")
    return 0


def cmd_kinetics(a) -> int:
    with open(a.csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"label", "youtube_id", "time_start", "time_end"} <= set(rows[0]):
        raise SystemExit(f"{a.csv}: expected columns label,youtube_id,time_start,time_end")
    classes = sorted({r["label"] for r in rows})
    if a.classes:
        classes = [l.strip() for l in open(a.classes, encoding="utf-8") if l.strip()]
    index = {c: i for i, c in enumerate(classes)}
    lines = []
    for r in rows:
        if r["label"] not in index:
            raise SystemExit(f"{a.csv}: class {r['label']!r} of video {r['youtube_id']} not in the class list")
        name = f"{r['youtube_id']}_{int(float(r['time_start'])):06d}_{int(float(r['time_end'])):06d}"
        lines.append(f"{r['label']}/{name}{a.sep}{index[r['label']]}")
    _write(a.out, lines)
    if a.classes_out:
        _write(a.classes_out, classes)
    print(f"{len(lines)} clips in {len(classes)} classes -> {a.out}")
    return 0


def _write(path: str, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", required=True, help="list file to write")
    common.add_argument("--sep", default=" ", help="field separator (' ' or ';')")
    frames = argparse.ArgumentParser(add_help=False)
    frames.add_argument("--format", choices=("tsn", "ibm"), default="tsn")
    frames.add_argument("--template", default="{:05d}.jpg", help="frame file name template")
    frames.add_argument("--start-index", type=int, default=1)
    s = sub.add_parser("scan", parents=[common, frames], help="class/video frame folders -> list")
    s.add_argument("--root", required=True)
    s.add_argument("--classes-out")
    s.set_defaults(fn=cmd_scan)
    s = sub.add_parser("ssv2", parents=[common, frames], help="SSv2 JSON list -> list")
    s.add_argument("--list", required=True)
    s.add_argument("--label-map", required=True)
    s.add_argument("--frames-dir", required=True)
    s.add_argument("--unlabelled", action="store_true", help="test list without templates: no label field")
    s.set_defaults(fn=cmd_ssv2)
    s = sub.add_parser("kinetics", parents=[common], help="official Kinetics CSV -> 'path label' list")
    s.add_argument("--csv", required=True)
    s.add_argument("--classes", help="class names file fixing the order (default: sorted labels)")
    s.add_argument("--classes-out")
    s.set_defaults(fn=cmd_kinetics)
    a = p.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    raise SystemExit(main())
