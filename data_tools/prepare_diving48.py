#!/usr/bin/env python
"""Diving48 (V2 labels) -> list files for ``configs/datasets/diving48.yaml``.

Inputs, as distributed: ``Diving48_V2_train.json`` / ``Diving48_V2_test.json`` (arrays of
``{"vid_name", "label", "start_frame", "end_frame"}``), ``Diving48_vocab.json`` (48 entries, each
the four attributes take-off, somersault, twist, flight of one class) and the clips
``rgb/<vid_name>.mp4``. Output (``--out``): ``train.txt``, ``val.txt`` (the test JSON, the
evaluation split) as ``path label``, ``classes.txt`` (the four attributes joined by spaces, in
vocabulary order), ``problems.txt`` naming every malformed entry (bad label, end before start) and
missing clip (file + entry number), all counted.

Example:
  python data_tools/prepare_diving48.py --annotations /data/diving48 --videos /data/diving48/rgb \\
      --out /data/diving48/lists
"""
from __future__ import annotations

import functools
import json
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from data_tools import _prepare_helpers as prep

FILES = {"vocab": "Diving48_vocab.json", "train": "Diving48_V2_train.json", "val": "Diving48_V2_test.json"}


def load_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise SystemExit(f"error: annotation file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"error: {path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def class_names(path: str) -> list[str]:
    vocab = load_json(path)
    if not isinstance(vocab, list) or not vocab:
        raise SystemExit(f"error: {path}: expected a JSON array of classes")
    names = [" ".join(str(x) for x in v) if isinstance(v, list) else str(v) for v in vocab]
    if len(set(names)) != len(names):
        raise SystemExit(f"error: {path}: two classes have the same attributes")
    return names


def parse_entry(num_classes: int, entry: tuple[int, object]) -> tuple[str, int]:
    """``(entry number, {"vid_name", "label", "start_frame", "end_frame"})`` -> ``(vid_name, label)``."""
    pos, rec = entry
    try:
        name, label = str(rec["vid_name"]), int(rec["label"])
        start, end = int(rec["start_frame"]), int(rec["end_frame"])
    except (KeyError, TypeError, ValueError):
        raise prep.Skip("malformed",
                        f"entry {pos} lacks vid_name/label/start_frame/end_frame: {str(rec)[:80]}") from None
    if not 0 <= label < num_classes:
        raise prep.Skip("malformed", f"clip {name}: label {label} outside 0..{num_classes - 1}")
    if end < start:
        raise prep.Skip("malformed", f"clip {name}: end_frame {end} < start_frame {start}")
    return name, label


def convert(path: str, num_classes: int, videos: prep.MediaIndex, problems: prep.Problems,
            show: bool) -> tuple[list[str], int]:
    data = load_json(path)
    if not isinstance(data, list):
        raise SystemExit(f"error: {path}: expected a JSON array of clips")
    entries = [(pos, (pos, rec)) for pos, rec in enumerate(data, 1)]  # the parser names the entry number
    return prep.convert_rows(path, entries, videos, problems, show, functools.partial(parse_entry, num_classes))


def main(argv: list[str] | None = None) -> int:
    p = prep.converter_parser(
        __doc__, ("--annotations", "folder with Diving48_V2_{train,test}.json and Diving48_vocab.json"),
        "folder with the <vid_name>.mp4 clips (rgb/)")
    a = p.parse_args(argv)
    classes = class_names(os.path.join(a.annotations, FILES["vocab"]))
    return prep.convert_splits(a, classes, {
        split: functools.partial(convert, os.path.join(a.annotations, FILES[split]), len(classes))
        for split in ("train", "val")})


if __name__ == "__main__":
    sys.exit(main())
