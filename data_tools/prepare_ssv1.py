#!/usr/bin/env python
"""Something-Something v1 (20BN) -> list files for ``configs/datasets/ssv1.yaml``.

Inputs, as distributed: ``something-something-v1-labels.csv`` (one class name per line, row = label),
``something-something-v1-{train,validation}.csv`` (``id;class name`` per line),
``something-something-v1-test.csv`` (``id`` per line, optional) and the JPEG folders
``FRAMES/<id>/00001.jpg ...``. Output (``--out``): ``train.txt``, ``val.txt`` (and ``test.txt``,
unlabelled) as TSN lines ``id num_frames label``, ``classes.txt`` (the label list in its order), and
``problems.txt`` naming every malformed line, unknown class, missing folder and folder whose
numbering has holes (file:line), all counted in the summary.

Example:
  python data_tools/prepare_ssv1.py --annotations /data/ssv1 --frames /data/ssv1/20bn-something-something-v1 \\
      --out /data/ssv1/lists
"""
from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from data_tools._prepare_helpers import Problems, base_parser, frames_on_disk, progress, read_lines, write_outputs

CONFIG_SWAP_PAIRS = [[86, 87], [93, 94], [166, 167]]  # LIST_DATA.FLIP_SWAP_PAIRS of configs/datasets/ssv1.yaml
FILES = {"labels": "something-something-v1-labels.csv", "train": "something-something-v1-train.csv",
         "val": "something-something-v1-validation.csv", "test": "something-something-v1-test.csv"}


def read_classes(path: str) -> list[str]:
    names = [t for _, t in read_lines(path)]
    if len(set(names)) != len(names):
        raise SystemExit(f"error: {path} lists a class twice")
    return names


def convert_split(path: str, index: dict[str, int] | None, frames: str, template: str, start: int,
                  problems: Problems, show: bool) -> tuple[list[str], int]:
    """TSN lines of one 20BN CSV (``index`` None = unlabelled test list); returns (lines, listed)."""
    lines: list[str] = []
    rows = read_lines(path)
    for lineno, text in progress(rows, os.path.basename(path), show):
        fields = [f.strip() for f in text.split(";", 1)]
        vid = fields[0]
        if not vid or (index is not None and len(fields) != 2):
            problems.add("malformed", path, lineno, f"expected 'id;label', got {text!r}")
            continue
        label = None
        if index is not None:
            label = index.get(fields[1])
            if label is None:
                problems.add("unknown_class", path, lineno, f"class {fields[1]!r} is not in the label list")
                continue
        n, kind, why = frames_on_disk(os.path.join(frames, vid), template, start)
        if n is None:
            problems.add(kind, path, lineno, f"video {vid}: {why}")
            continue
        lines.append(f"{vid} {n}" + ("" if label is None else f" {label}"))
    return lines, len(rows)


def main(argv: list[str] | None = None) -> int:
    p = base_parser(__doc__)
    p.add_argument("--annotations", required=True, help="folder with the something-something-v1-*.csv files")
    p.add_argument("--frames", required=True, help="folder with one JPEG folder per video id")
    p.add_argument("--template", default="{:05d}.jpg", help="frame file name template (20BN: {:05d}.jpg)")
    p.add_argument("--start-index", type=int, default=1, help="number of the first frame file")
    a = p.parse_args(argv)
    files = {k: os.path.join(a.annotations, v) for k, v in FILES.items()}
    classes = read_classes(files["labels"])
    index = {c: i for i, c in enumerate(classes)}
    problems = Problems()
    lists, listed = {}, {}
    for split in ("train", "val", "test"):
        if split == "test" and not os.path.isfile(files["test"]):
            continue
        lists[split], listed[split] = convert_split(files[split], None if split == "test" else index, a.frames,
                                                    a.template, a.start_index, problems, not a.no_progress)
    # Imported here, not at the top: svit.data imports torch, which --help need not wait for.
    from svit.data.ssv2_annotations import left_right_swap_pairs

    swap = left_right_swap_pairs(classes)
    pairs = sorted([i, j] for i, j in swap.items() if i < j)
    if pairs != CONFIG_SWAP_PAIRS:
        print(f"note: left/right classes of this label list are {pairs}; configs/datasets/ssv1.yaml assumes "
              f"{CONFIG_SWAP_PAIRS}: pass LIST_DATA.FLIP_SWAP_PAIRS \"{pairs}\" if you train with flips")
    return write_outputs(a.out, lists, classes, problems, a.strict, listed)


if __name__ == "__main__":
    sys.exit(main())
