#!/usr/bin/env python
"""Mini-Something-Something v2 (IBM action-recognition-pytorch ``mini_st2stv2``) -> lists for
``configs/datasets/mini_ssv2.yaml``.

The rule: the 87 classes of the shipped list ``svit/resources/mini_ssv2_classes.txt`` (IBM's
``mini_ssv2.txt``, alphabetical), label = row in that list; train / val = the official SSv2 train /
validation videos of those classes (IBM ships no per-video lists). Inputs, as distributed:
``something-something-v2-labels.json``, ``-train.json``, ``-validation.json`` (templates with
``[something]`` brackets) and the videos ``<id>.webm`` (or, with ``--frames``, frame folders
``<id>/0001.jpg`` as written by ``data_tools/extract_frames.py``). Output (``--out``): ``train.txt``,
``val.txt`` as ``<id>.webm label`` (``kinetics_csv``) or, with ``--frames``, ``<id> num_frames label``
(``tsn``); ``classes.txt``; ``problems.txt`` with every entry whose video is missing or whose frame
folder has holes (file + entry number). Videos of other classes are left out by design (counted).

Example:
  python data_tools/prepare_mini_ssv2.py --annotations /data/ssv2 --videos /data/ssv2/videos --out /data/mini_ssv2
"""
from __future__ import annotations

import json
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from data_tools._prepare_helpers import (
    MediaIndex,
    Problems,
    base_parser,
    frames_on_disk,
    progress,
    read_lines,
    write_outputs,
)

CLASS_LIST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "svit", "resources",
                          "mini_ssv2_classes.txt")
FILES = {"labels": "something-something-v2-labels.json", "train": "something-something-v2-train.json",
         "val": "something-something-v2-validation.json"}


def read_entries(path: str, problems: Problems) -> list[tuple[int, str, str]]:
    """``[(entry number (1-based), video id, class name)]`` of an SSv2 JSON list."""
    # Imported here, not at the top: svit.data imports torch, which --help need not wait for.
    from svit.data.ssv2_annotations import clean_template

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise SystemExit(f"error: annotation file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"error: {path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise SystemExit(f"error: {path}: expected a JSON array of {{id, template}} records")
    out = []
    for pos, rec in enumerate(data, 1):
        if not isinstance(rec, dict) or "id" not in rec or "template" not in rec:
            problems.add("malformed", path, pos, f"entry {pos} lacks 'id' or 'template': {str(rec)[:80]}")
            continue
        out.append((pos, str(rec["id"]), clean_template(str(rec["template"]))))
    return out


def main(argv: list[str] | None = None) -> int:
    p = base_parser(__doc__)
    p.add_argument("--annotations", required=True, help="folder with the something-something-v2-*.json files")
    media = p.add_mutually_exclusive_group(required=True)
    media.add_argument("--videos", help="folder with <id>.webm videos (lines: <relpath> label)")
    media.add_argument("--frames", help="folder with <id>/ frame folders (lines: <id> num_frames label)")
    p.add_argument("--template", default="{:04d}.jpg", help="frame file template with --frames")
    p.add_argument("--start-index", type=int, default=1, help="number of the first frame file with --frames")
    p.add_argument("--classes", default=CLASS_LIST, help="the 87-class list (default: the shipped copy)")
    a = p.parse_args(argv)
    classes = [t for _, t in read_lines(a.classes)]
    index = {c: i for i, c in enumerate(classes)}
    from svit.data.ssv2_annotations import load_label_map  # here: svit.data imports torch (see --help)

    full = load_label_map(os.path.join(a.annotations, FILES["labels"]))
    unknown = [c for c in classes if c not in full]
    if unknown:
        raise SystemExit(f"error: {len(unknown)} Mini-SSv2 classes are not in the SSv2 label map: {unknown[:5]}")
    problems = Problems()
    videos = MediaIndex(a.videos, "video", not a.no_progress) if a.videos else None
    lists, listed = {}, {}
    for split in ("train", "val"):
        path = os.path.join(a.annotations, FILES[split])
        entries = read_entries(path, problems)
        lines = []
        kept = [e for e in entries if e[2] in index]
        for pos, vid, name in progress(kept, split, not a.no_progress):
            if name not in full:
                problems.add("unknown_class", path, pos, f"template {name!r} of video {vid} is not in the label map")
                continue
            if videos is not None:
                rel = videos.find(vid)
                if rel is None:
                    problems.add("missing", path, pos, f"video {vid} not found under {a.videos}")
                    continue
                lines.append(f"{rel} {index[name]}")
            else:
                n, kind, why = frames_on_disk(os.path.join(a.frames, vid), a.template, a.start_index)
                if n is None:
                    problems.add(kind, path, pos, f"video {vid}: {why}")
                    continue
                lines.append(f"{vid} {n} {index[name]}")
        print(f"{split}: {len(kept)} of {len(entries)} entries belong to the {len(classes)} Mini-SSv2 classes")
        lists[split], listed[split] = lines, len(kept)
    code = write_outputs(a.out, lists, classes, problems, a.strict, listed)
    if a.frames:
        print("frame lists: add LIST_DATA.FORMAT tsn DATA.DECODING_BACKEND frames to the run command")
    return code


if __name__ == "__main__":
    sys.exit(main())
