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

from data_tools import _prepare_helpers as prep


def read_class_index(path: str) -> list[str]:
    """classInd.txt -> class names in label order (indices must run 1..K)."""
    pairs = []
    for lineno, text in prep.read_lines(path):
        parts = text.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise SystemExit(f"error: {path}:{lineno}: expected 'index ClassName', got {text!r}")
        pairs.append((int(parts[0]), parts[1]))
    if sorted(i for i, _ in pairs) != list(range(1, len(pairs) + 1)):
        raise SystemExit(f"error: {path}: class indices must run 1..{len(pairs)} without gaps or repeats")
    return [name for _, name in sorted(pairs)]


def parse_row(by_lower: dict[str, int], num_classes: int, labelled: bool, text: str) -> tuple[str, int]:
    """``Class/video.avi label`` (train, 1-based) or ``Class/video.avi`` (test, class from the folder)
    -> ``(relative path, 0-based label)``; a train label must agree with its folder's class."""
    parts = text.split()
    if len(parts) != 2 and (labelled or len(parts) != 1):  # test lines: path only (a label is tolerated)
        want = "Class/video.avi label" if labelled else "Class/video.avi"
        raise prep.Skip("malformed", f"expected '{want}', got {text!r}")
    rel = parts[0].replace("\\", "/")
    folder_class = by_lower.get(rel.split("/")[0].lower()) if "/" in rel else None
    if not labelled:
        if folder_class is None:
            raise prep.Skip("unknown_class", f"class folder of {rel!r} is not in classInd.txt")
        return rel, folder_class
    if not parts[1].isdigit() or not 1 <= int(parts[1]) <= num_classes:
        raise prep.Skip("malformed", f"label {parts[1]!r} is not in 1..{num_classes}")
    if folder_class is not None and folder_class != int(parts[1]) - 1:
        raise prep.Skip("malformed", f"label {parts[1]} disagrees with the folder class of {rel}")
    return rel, int(parts[1]) - 1


def convert(path: str, classes: list[str], videos: prep.MediaIndex, root: str, labelled: bool,
            problems: prep.Problems, show: bool) -> tuple[list[str], int]:
    by_lower = {c.lower(): i for i, c in enumerate(classes)}

    def find(rel: str) -> str | None:
        """The listed path when it exists under ``root``, else the video of that name anywhere below it."""
        if os.path.isfile(os.path.join(root, rel)):
            return rel
        return videos.find(os.path.splitext(os.path.basename(rel))[0])

    def parse(text: str) -> tuple[str, int]:
        return parse_row(by_lower, len(classes), labelled, text)

    return prep.convert_rows(path, prep.read_lines(path), videos, problems, show, parse, find, noun="video")


def main(argv: list[str] | None = None) -> int:
    p = prep.converter_parser(__doc__, ("--splits", "folder with classInd.txt, trainlist0N.txt, testlist0N.txt"),
                              "folder with the .avi files (UCF-101/<Class>/ or flat)", official_splits=3)
    a = p.parse_args(argv)
    classes = read_class_index(os.path.join(a.splits, "classInd.txt"))
    return prep.convert_splits(a, classes, {
        out_name: lambda videos, problems, show, stem=stem, labelled=labelled: convert(
            os.path.join(a.splits, f"{stem}{a.split:02d}.txt"), classes, videos, a.videos, labelled, problems, show)
        for out_name, stem, labelled in (("train", "trainlist", True), ("val", "testlist", False))})


if __name__ == "__main__":
    sys.exit(main())
