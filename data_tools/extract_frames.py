#!/usr/bin/env python
"""Decode videos into SSv2-style frame folders ``<out>/<video stem>/<NNNN>.jpg`` with PyAV.

Resumable: a video whose folder already exists is skipped; each folder is written into a temporary
folder and renamed when complete, so an interrupted run never leaves a half folder that looks done
(stale temporary folders are removed at start). Failures are listed with their path at the end
(and written to <out>/_failed.txt).

Example: python data_tools/extract_frames.py --videos /data/ssv2/videos --out /data/ssv2/frames --workers 8
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
from functools import partial
from multiprocessing import Pool

from tqdm import tqdm

TMP_PREFIX = ".tmp_"


def extract_one(
    path: str, out: str, fps: float, short_side: int, template: str, start_index: int, quality: int
) -> tuple[str, str | None]:
    """Extracts one video; returns ``(path, error or None)``."""
    # Imported here (in the worker), not at the top: cv2 and svit.data (whose package imports torch)
    # take seconds to import, which --help and argument errors need not wait for.
    import cv2

    from svit.data.errors import SampleError
    from svit.data.video_reader import decode_video

    stem = os.path.splitext(os.path.basename(path))[0]
    final = os.path.join(out, stem)
    if os.path.isdir(final):
        return path, None
    tmp = os.path.join(out, f"{TMP_PREFIX}{stem}_{os.getpid()}")
    try:
        frames = decode_video(path, stem, fps)
        os.makedirs(tmp, exist_ok=True)
        for k, f in enumerate(frames):
            if short_side:
                h, w = f.shape[:2]
                s = short_side / min(h, w)
                f = cv2.resize(f, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
            ok = cv2.imwrite(
                os.path.join(tmp, template.format(start_index + k)),
                cv2.cvtColor(f, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, quality],
            )
            if not ok:
                raise OSError(f"cannot write frame {k} into {tmp}")
        os.rename(tmp, final)
        return path, None
    except (SampleError, OSError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        return path, str(exc)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", required=True, help="folder of videos (searched recursively with --pattern)")
    p.add_argument("--out", required=True, help="output folder of frame folders")
    p.add_argument("--pattern", default="*.webm", help="glob of the video files (default *.webm)")
    p.add_argument("--fps", type=float, default=0, help="resample to this frame rate; 0 = native (SSv2: 12)")
    p.add_argument("--short-side", type=int, default=0, help="resize the shorter side to this; 0 = keep")
    p.add_argument("--template", default="{:04d}.jpg", help="frame file name template")
    p.add_argument("--start-index", type=int, default=1, help="number of the first frame")
    p.add_argument("--quality", type=int, default=95, help="JPEG quality")
    p.add_argument("--workers", type=int, default=2, help="worker processes")
    a = p.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    for stale in glob.glob(os.path.join(a.out, TMP_PREFIX + "*")):
        shutil.rmtree(stale, ignore_errors=True)
    videos = sorted(glob.glob(os.path.join(a.videos, "**", a.pattern), recursive=True))
    job = partial(
        extract_one,
        out=a.out,
        fps=a.fps,
        short_side=a.short_side,
        template=a.template,
        start_index=a.start_index,
        quality=a.quality,
    )
    with Pool(max(1, a.workers)) as pool:
        results = list(tqdm(pool.imap_unordered(job, videos), total=len(videos), desc="extract", unit="video"))
    failed = sorted((p_, e) for p_, e in results if e)
    if failed:
        with open(os.path.join(a.out, "_failed.txt"), "w") as f:
            f.writelines(f"{p_}\t{e}\n" for p_, e in failed)
        print(f"{len(failed)} of {len(videos)} videos failed (see {a.out}/_failed.txt):")
        for p_, e in failed[:20]:
            print("  ", e)
    print(f"done: {len(videos) - len(failed)} of {len(videos)} videos have frame folders in {a.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
