"""Fuse the saved test scores of several runs, e.g. H2CN's (8+16) ensemble.

    python tools/ensemble.py output/h2cn_f8 output/h2cn_f16 [--weights 1 1] [--out output/h2cn_8+16] [--json [PATH]]

Each argument is a run's OUTPUT_DIR (holding test_scores.npz) or an .npz file. Videos are joined by
id; the tool fails, listing the ids, when the runs do not cover the same videos. Files are written
only with ``--out DIR`` (the folder is printed); a DIR that already holds an ensemble is refused
unless ``--overwrite`` is given.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from svit.apps.ensemble import RESULTS_FILE, SCORES_OUT_FILE, ensemble_runs  # noqa: E402
from svit.utils.cli import add_json_arg, json_to_stdout, write_json  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run directories or test_scores.npz files")
    parser.add_argument("--weights", nargs="+", type=float, default=None, help="one weight per run (default equal)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help=f"write {RESULTS_FILE} and {SCORES_OUT_FILE} into DIR (default: print only)")
    parser.add_argument("--overwrite", action="store_true", help="replace an ensemble already in --out DIR")
    add_json_arg(parser, "the per-run and fused metrics")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.runs) < 2:
        parser.error("give at least two runs to ensemble")
    if args.weights is not None and len(args.weights) != len(args.runs):
        parser.error(f"{len(args.weights)} weights for {len(args.runs)} runs")
    if args.out and not args.overwrite:
        taken = [n for n in (RESULTS_FILE, SCORES_OUT_FILE) if (Path(args.out) / n).exists()]
        if taken:
            print(f"ensemble: error: {args.out} already holds {', '.join(taken)}; pass --overwrite to replace "
                  f"them or choose another --out", file=sys.stderr)
            return 2
    try:
        results = ensemble_runs(args.runs, args.weights, args.out)
    except (ValueError, FileNotFoundError) as e:
        print(f"ensemble: error: {e}", file=sys.stderr)
        return 2
    if not json_to_stdout(args):
        for r in results["runs"]:
            print(f"{r['source']}: top1 {r['top1']} top5 {r['top5']} mean-class {r['mean_class_accuracy']}")
        e = results["ensemble"]
        print(f"ensemble of {len(results['runs'])} runs over {results['num_videos']} videos: "
              f"top1 {e['top1']} top5 {e['top5']} mean-class {e['mean_class_accuracy']}")
        if args.out:
            print(f"wrote {Path(args.out) / RESULTS_FILE} and {Path(args.out) / SCORES_OUT_FILE}")
        else:
            print("no files written (pass --out DIR to save the fused scores)")
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
