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

from data_tools._prepare_helpers import MediaIndex, Problems, base_parser, convert_splits, progress

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


def convert(path: str, num_classes: int, videos: MediaIndex, problems: Problems, show: bool) -> tuple[list[str], int]:
    data = load_json(path)
    if not isinstance(data, list):
        raise SystemExit(f"error: {path}: expected a JSON array of clips")
    lines = []
    for pos, rec in enumerate(progress(data, os.path.basename(path), show), 1):
        try:
            name, label = str(rec["vid_name"]), int(rec["label"])
            start, end = int(rec["start_frame"]), int(rec["end_frame"])
        except (KeyError, TypeError, ValueError):
            problems.add("malformed", path, pos,
                         f"entry {pos} lacks vid_name/label/start_frame/end_frame: {str(rec)[:80]}")
            continue
        if not 0 <= label < num_classes:
            problems.add("malformed", path, pos, f"clip {name}: label {label} outside 0..{num_classes - 1}")
            continue
        if end < start:
            problems.add("malformed", path, pos, f"clip {name}: end_frame {end} < start_frame {start}")
            continue
        rel = videos.find(name)
        if rel is None:
            problems.add("missing", path, pos, f"clip {name} not found under {videos.root}")
            continue
        lines.append(f"{rel} {label}")
    return lines, len(data)


def main(argv: list[str] | None = None) -> int:
    p = base_parser(__doc__)
    p.add_argument("--annotations", required=True,
                   help="folder with Diving48_V2_{train,test}.json and Diving48_vocab.json")
    p.add_argument("--videos", required=True, help="folder with the <vid_name>.mp4 clips (rgb/)")
    a = p.parse_args(argv)
    classes = class_names(os.path.join(a.annotations, FILES["vocab"]))
    return convert_splits(a, classes, {
        split: functools.partial(convert, os.path.join(a.annotations, FILES[split]), len(classes))
        for split in ("train", "val")})


if __name__ == "__main__":
    sys.exit(main())
