"""Fuse the saved test scores of several runs, e.g. H2CN's (8+16) ensemble.

    python tools/ensemble.py output/h2cn_f8 output/h2cn_f16 [--weights 1 1] [--out output/h2cn_8+16]

Each argument is a run's OUTPUT_DIR (holding test_scores.npz) or an .npz file. Videos are joined by
id; the tool fails, listing the ids, when the runs do not cover the same videos.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from svit.utils.ensemble import ensemble_runs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run directories or test_scores.npz files")
    parser.add_argument("--weights", nargs="+", type=float, default=None, help="one weight per run (default equal)")
    parser.add_argument("--out", default="output/ensemble", help="where ensemble_results.json is written")
    args = parser.parse_args(argv)
    if len(args.runs) < 2:
        parser.error("give at least two runs to ensemble")
    if args.weights is not None and len(args.weights) != len(args.runs):
        parser.error(f"{len(args.weights)} weights for {len(args.runs)} runs")
    try:
        results = ensemble_runs(args.runs, args.weights, args.out)
    except (ValueError, FileNotFoundError) as e:
        print(f"ensemble: error: {e}", file=sys.stderr)
        return 2
    for r in results["runs"]:
        print(f"{r['source']}: top1 {r['top1']} top5 {r['top5']} mean-class {r['mean_class_accuracy']}")
    e = results["ensemble"]
    print(f"ensemble of {len(results['runs'])} runs over {results['num_videos']} videos: "
          f"top1 {e['top1']} top5 {e['top5']} mean-class {e['mean_class_accuracy']}")
    print(f"wrote {Path(args.out) / 'ensemble_results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
