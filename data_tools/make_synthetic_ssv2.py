#!/usr/bin/env python
"""Generate a synthetic Something-Something v2 dataset in the exact SSv2 + Something-Else layout
(label map, train/validation JSON lists, frames/<id>/NNNN.jpg, videos/<id>.webm, bbox_jsons/<id>.json).

Classes differ only by motion / temporal order (see svit/data/synthetic/classes.py), so a single
frame cannot solve them. Output is deterministic given --seed. Use the folder with
``TRAIN.DATASET ssv2 DATA.PATH_TO_DATA_DIR <out>`` or let ``TRAIN.DATASET synthetic_ssv2`` generate it.

Example: python data_tools/make_synthetic_ssv2.py --out /data/synth --num-videos 1000 --seed 0
"""
from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--num-videos", type=int, required=True, help="number of videos (>= number of classes)")
    p.add_argument("--seed", type=int, default=0, help="generator seed")
    p.add_argument("--frames", type=int, default=24, help="frames per video (native 12 fps)")
    p.add_argument("--size", type=int, default=64, help="frame side in pixels (square frames)")
    p.add_argument("--workers", type=int, default=2, help="worker processes")
    p.add_argument("--no-videos", action="store_true", help="skip the webm files (frames only)")
    a = p.parse_args(argv)
    # Imported here, not at the top: svit.data imports torch, which --help need not wait for.
    from svit.data.synthetic.generate import generate_synthetic_ssv2

    t = time.time()
    generate_synthetic_ssv2(a.out, a.num_videos, a.seed, a.frames, a.size, a.workers, write_videos=not a.no_videos)
    print(f"wrote {a.num_videos} videos to {a.out} in {time.time() - t:.1f} s")


if __name__ == "__main__":
    main()
