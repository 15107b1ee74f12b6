#!/usr/bin/env python
"""UCF101 -> list files for ``configs/datasets/ucf101.yaml``.

Inputs, as distributed (``UCF101TrainTestSplits-RecognitionTask.zip`` and ``UCF101.rar``):
``classInd.txt`` (``1 ApplyEyeMakeup`` ...), ``trainlist0{1,2,3}.txt`` (``Class/v_Class_gXX_cYY.avi
label``, 1-based), ``testlist0{1,2,3}.txt`` (``Class/v_Class_gXX_cYY.avi``, class from the folder) and
the ``.avi`` files under ``--videos`` (``UCF-101/<Class>/...``; a flat folder works too). Output
(``--out``): ``train.txt`` (trainlist of ``--split``), ``val.txt`` (its testlist, the evaluation
split) as ``path label`` (0-based, classInd order), ``classes.txt``, and ``problems.txt`` with
every malformed line, unknown class and missing video (file:line), all counted.

Example:
  python data_tools/prepare_ucf101.py --splits /data/ucf101/ucfTrainTestlist --videos /data/ucf101/UCF-101 \\
      --out /data/ucf101/lists --split 1
"""
from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from data_tools._prepare_helpers import MediaIndex, Problems, base_parser, convert_splits, progress, read_lines


def read_class_index(path: str) -> list[str]:
    """classInd.txt -> class names in label order (indices must run 1..K)."""
    pairs = []
    for lineno, text in read_lines(path):
        parts = text.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise SystemExit(f"error: {path}:{lineno}: expected 'index ClassName', got {text!r}")
        pairs.append((int(parts[0]), parts[1]))
    if sorted(i for i, _ in pairs) != list(range(1, len(pairs) + 1)):
        raise SystemExit(f"error: {path}: class indices must run 1..{len(pairs)} without gaps or repeats")
    return [name for _, name in sorted(pairs)]


def convert(path: str, classes: list[str], videos: MediaIndex, root: str, labelled: bool, problems: Problems,
            show: bool) -> tuple[list[str], int]:
    by_lower = {c.lower(): i for i, c in enumerate(classes)}
    rows = read_lines(path)
    lines = []
    for lineno, text in progress(rows, os.path.basename(path), show):
        parts = text.split()
        if len(parts) != 2 and (labelled or len(parts) != 1):  # test lines: path only (a label is tolerated)
            want = "Class/video.avi label" if labelled else "Class/video.avi"
            problems.add("malformed", path, lineno, f"expected '{want}', got {text!r}")
            continue
        rel = parts[0].replace("\\", "/")
        folder_class = by_lower.get(rel.split("/")[0].lower()) if "/" in rel else None
        if labelled:
            if not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(classes):
                problems.add("malformed", path, lineno, f"label {parts[1]!r} is not in 1..{len(classes)}")
                continue
            label = int(parts[1]) - 1
            if folder_class is not None and folder_class != label:
                problems.add("malformed", path, lineno, f"label {parts[1]} disagrees with the folder class of {rel}")
                continue
        else:
            if folder_class is None:
                problems.add("unknown_class", path, lineno, f"class folder of {rel!r} is not in classInd.txt")
                continue
            label = folder_class
        if os.path.isfile(os.path.join(root, rel)):
            found = rel
        else:
            found = videos.find(os.path.splitext(os.path.basename(rel))[0])
        if found is None:
            problems.add("missing", path, lineno, f"video {rel} not found under {root}")
            continue
        lines.append(f"{found} {label}")
    return lines, len(rows)


def main(argv: list[str] | None = None) -> int:
    p = base_parser(__doc__)
    p.add_argument("--splits", required=True, help="folder with classInd.txt, trainlist0N.txt, testlist0N.txt")
    p.add_argument("--videos", required=True, help="folder with the .avi files (UCF-101/<Class>/ or flat)")
    p.add_argument("--split", type=int, choices=(1, 2, 3), default=1, help="official split number")
    a = p.parse_args(argv)
    classes = read_class_index(os.path.join(a.splits, "classInd.txt"))
    return convert_splits(a, classes, {
        out_name: lambda videos, problems, show, stem=stem, labelled=labelled: convert(
            os.path.join(a.splits, f"{stem}{a.split:02d}.txt"), classes, videos, a.videos, labelled, problems, show)
        for out_name, stem, labelled in (("train", "trainlist", True), ("val", "testlist", False))})


if __name__ == "__main__":
    sys.exit(main())
