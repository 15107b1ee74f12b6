#!/usr/bin/env python
"""Mini-Kinetics (IBM action-recognition-pytorch ``mini_kinetics400``) -> lists for
``configs/datasets/mini_k400.yaml``.

The rule (IBM's ``mini_kinetics400.txt`` + ``utils/dataset_config.py``): the 200 classes of the
shipped class list ``svit/resources/mini_kinetics400_classes.txt`` (alphabetical), label = row in
that list; the train / val lists are the official Kinetics-400 train / val clips of those classes
(IBM ships no per-video lists, so no other subsampling is applied). Inputs as for
``prepare_kinetics.py``: the official CSVs and the trimmed clips. A class of the list that the
train CSV lacks is an error (a wrong CSV); clips of other classes are left out by design and
counted in the summary, never reported as problems.

Example:
  python data_tools/prepare_mini_kinetics.py --csv-dir /data/k400/annotations --videos /data/k400/videos \\
      --out /data/mini_k400/lists
"""
from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from data_tools._prepare_helpers import MediaIndex, Problems, base_parser, read_lines, write_outputs
from data_tools.prepare_kinetics import find_csvs, read_kinetics_csv, to_lines

CLASS_LIST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "svit", "resources",
                          "mini_kinetics400_classes.txt")


def main(argv: list[str] | None = None) -> int:
    p = base_parser(__doc__)
    p.add_argument("--csv-dir", required=True, help="folder with the official Kinetics-400 train/val CSV files")
    p.add_argument("--videos", required=True, help="folder with the trimmed Kinetics-400 clips (any layout)")
    p.add_argument("--classes", default=CLASS_LIST, help="the 200-class list (default: the shipped copy)")
    a = p.parse_args(argv)
    classes = [t for _, t in read_lines(a.classes)]
    index = {c: i for i, c in enumerate(classes)}
    csvs = find_csvs(a.csv_dir)
    problems = Problems()
    parsed = {split: read_kinetics_csv(csvs[split], problems) for split in ("train", "val")}
    in_train = {label for _, label, _ in parsed["train"][0]}
    absent = [c for c in classes if c not in in_train]
    if absent:
        raise SystemExit(f"error: {len(absent)} Mini-Kinetics classes do not occur in {csvs['train']}: {absent[:5]}")
    videos = MediaIndex(a.videos, "video", not a.no_progress)
    lists, listed = {}, {}
    for split, (rows, _) in parsed.items():
        kept = [r for r in rows if r[1] in index]
        print(f"{split}: {len(kept)} of {len(rows)} rows belong to the {len(classes)} Mini-Kinetics classes")
        lists[split] = to_lines(csvs[split], kept, index, videos, problems, not a.no_progress)
        listed[split] = len(kept)
    return write_outputs(a.out, lists, classes, problems, a.strict, listed)


if __name__ == "__main__":
    sys.exit(main())
