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

from data_tools import _prepare_helpers as prep

NUM_ACTIONS = 106


def read_actions(path: str) -> list[str]:
    """action_idx.txt -> names in index order; indices must run 1..K."""
    pairs = []
    for lineno, text in prep.read_lines(path):
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


def parse_row(num_classes: int, text: str) -> tuple[str, int]:
    """``<clip> <action> <verb> <noun>`` (1-based action) -> ``(clip, 0-based action)``."""
    parts = text.split()
    if len(parts) != 4 or not all(x.isdigit() for x in parts[1:]):
        raise prep.Skip("malformed", f"expected '<clip> <action> <verb> <noun>', got {text!r}")
    action = int(parts[1])
    if not 1 <= action <= num_classes:
        raise prep.Skip("malformed", f"action {action} outside 1..{num_classes}")
    return parts[0], action - 1


def convert(path: str, num_classes: int, videos: prep.MediaIndex, problems: prep.Problems,
            show: bool) -> tuple[list[str], int]:
    parse = functools.partial(parse_row, num_classes)
    return prep.convert_rows(path, prep.read_lines(path), videos, problems, show, parse)


def main(argv: list[str] | None = None) -> int:
    p = prep.converter_parser(__doc__, ("--annotations", "folder with action_idx.txt and the split files"),
                              "folder with the trimmed clips (cropped_clips/)", official_splits=3)
    a = p.parse_args(argv)
    classes = read_actions(os.path.join(a.annotations, "action_idx.txt"))
    return prep.convert_splits(a, classes, {
        out_name: functools.partial(convert, os.path.join(a.annotations, f"{stem}_split{a.split}.txt"), len(classes))
        for out_name, stem in (("train", "train"), ("val", "test"))})


if __name__ == "__main__":
    sys.exit(main())
