#!/usr/bin/env python
"""Split the Something-Else box annotations into per-video files ``<out>/<int(id)>.json`` and list
the videos without boxes.

Input: one or more annotation parts, each a JSON object ``{video_id: [frame records]}`` (schema:
github.com/joaanna/something_else). Every video's records are validated; a malformed video is reported with its id
and the reason and is not written (it then counts as a video without boxes). With --train-list /
--val-list (SSv2 JSON lists) it writes ``empty_bbox_train.json`` / ``empty_bbox_val.json`` (ids
without a valid box file) into --lists-out, usable as SSV2.EMPTY_BOX_TRAIN / EMPTY_BOX_VAL.

Example: python data_tools/prepare_boxes.py --annotations bounding_box_smthsmth_part*.json \\
           --out /data/ssv2/bbox_jsons --train-list train.json --val-list validation.json --lists-out /data/ssv2
"""
from __future__ import annotations

import argparse
import json
import os

from tqdm import tqdm


def write_video_boxes(video_id: str, records: list, out: str, source: str) -> str | None:
    """Validates and writes one video's records; returns an error message or None."""
    # Imported here, not at the top: svit.data imports torch, which --help need not wait for.
    from svit.data.boxes import box_file_path, validate_record
    from svit.data.errors import SampleError

    try:
        if not isinstance(records, list) or not records:
            raise SampleError(source, video_id, "expected a non-empty list of frame records")
        for pos, rec in enumerate(records):
            validate_record(rec, source, video_id, pos)
    except SampleError as exc:
        return str(exc)
    path = box_file_path(out, video_id)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(records, f)
    os.replace(tmp, path)
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--annotations", nargs="+", required=True, help="annotation part files {video_id: [records]}")
    p.add_argument("--out", required=True, help="folder for <id>.json box files")
    p.add_argument("--train-list", help="SSv2 train JSON list (for empty_bbox_train.json)")
    p.add_argument("--val-list", help="SSv2 validation JSON list (for empty_bbox_val.json)")
    p.add_argument("--lists-out", help="folder for the lists of videos without boxes (default: --out)")
    a = p.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    good: set[str] = set()
    bad: list[str] = []
    for part in a.annotations:
        with open(part, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{part} is not valid JSON: {exc}")
        if not isinstance(data, dict):
            raise SystemExit(f"{part} must be a JSON object {{video_id: [frame records]}}")
        for vid, recs in tqdm(data.items(), desc=os.path.basename(part), unit="video"):
            err = write_video_boxes(str(vid), recs, a.out, part)
            if err:
                bad.append(err)
            else:
                good.add(str(vid))
    print(f"wrote {len(good)} box files to {a.out}; {len(bad)} malformed videos skipped")
    for e in bad[:50]:
        print("  malformed:", e)
    lists_out = a.lists_out or a.out
    for name, lst in (("empty_bbox_train.json", a.train_list), ("empty_bbox_val.json", a.val_list)):
        if lst:
            with open(lst, encoding="utf-8") as f:
                ids = [str(r["id"]) for r in json.load(f)]
            missing = [i for i in ids if i not in good]
            with open(os.path.join(lists_out, name), "w") as f:
                json.dump(missing, f)
            print(f"{name}: {len(missing)} of {len(ids)} videos have no boxes")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
