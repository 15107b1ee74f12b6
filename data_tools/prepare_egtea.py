#!/usr/bin/env python
"""EGTEA Gaze+ actions -> list files for ``configs/datasets/egtea.yaml``.

Inputs, as distributed (``action_annotation.zip`` and the trimmed ``cropped_clips``):
``action_idx.txt`` (``<action name> <index>`` per line, indices 1..106), ``train_split{1,2,3}.txt`` /
``test_split{1,2,3}.txt`` (``<clip name> <action> <verb> <noun>``, 1-based) and the clips
``<clip name>.mp4`` anywhere under ``--videos`` (``cropped_clips/<session>/``). Output (``--out``):
``train.txt``, ``val.txt`` (the test split of ``--split``, the evaluation split) as ``path label``
(0-based action), ``classes.txt`` (action names in index order), ``problems.txt`` with every
malformed line and missing clip (file:line), all counted.

Example:
  python data_tools/prepare_egtea.py --annotations /data/egtea/action_annotation --videos /data/egtea/cropped_clips \\
      --out /data/egtea/lists --split 1
"""
from __future__ import annotations

import functools
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from data_tools._prepare_helpers import MediaIndex, Problems, base_parser, convert_splits, progress, read_lines

NUM_ACTIONS = 106


def read_actions(path: str) -> list[str]:
    """action_idx.txt -> names in index order; indices must run 1..K."""
    pairs = []
    for lineno, text in read_lines(path):
        name, _, idx = text.rpartition(" ")
        if not name or not idx.isdigit():
            raise SystemExit(f"error: {path}:{lineno}: expected '<action name> <index>', got {text!r}")
        pairs.append((int(idx), name.strip()))
    if sorted(i for i, _ in pairs) != list(range(1, len(pairs) + 1)):
        raise SystemExit(f"error: {path}: action indices must run 1..{len(pairs)} without gaps or repeats")
    if len(pairs) != NUM_ACTIONS:
        print(f"note: {path} has {len(pairs)} actions (EGTEA Gaze+ has {NUM_ACTIONS}); pass MODEL.NUM_CLASSES "
              f"{len(pairs)} LIST_DATA.NUM_CLASSES {len(pairs)}")
    return [name for _, name in sorted(pairs)]


def convert(path: str, num_classes: int, videos: MediaIndex, problems: Problems, show: bool) -> tuple[list[str], int]:
    rows = read_lines(path)
    lines = []
    for lineno, text in progress(rows, os.path.basename(path), show):
        parts = text.split()
        if len(parts) != 4 or not all(x.isdigit() for x in parts[1:]):
            problems.add("malformed", path, lineno, f"expected '<clip> <action> <verb> <noun>', got {text!r}")
            continue
        action = int(parts[1])
        if not 1 <= action <= num_classes:
            problems.add("malformed", path, lineno, f"action {action} outside 1..{num_classes}")
            continue
        rel = videos.find(parts[0])
        if rel is None:
            problems.add("missing", path, lineno, f"clip {parts[0]} not found under {videos.root}")
            continue
        lines.append(f"{rel} {action - 1}")
    return lines, len(rows)


def main(argv: list[str] | None = None) -> int:
    p = base_parser(__doc__)
    p.add_argument("--annotations", required=True, help="folder with action_idx.txt and the split files")
    p.add_argument("--videos", required=True, help="folder with the trimmed clips (cropped_clips/)")
    p.add_argument("--split", type=int, choices=(1, 2, 3), default=1, help="official split number")
    a = p.parse_args(argv)
    classes = read_actions(os.path.join(a.annotations, "action_idx.txt"))
    return convert_splits(a, classes, {
        out_name: functools.partial(convert, os.path.join(a.annotations, f"{stem}_split{a.split}.txt"), len(classes))
        for out_name, stem in (("train", "train"), ("val", "test"))})


if __name__ == "__main__":
    sys.exit(main())
