"""tools/benchmark.py data mode runs the real training pipeline and reports clips/s rows."""
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))

import benchmark  # noqa: E402


def test_data_benchmark_rows(synth_root, tmp_path):
    out = tmp_path / "bench.json"
    rows = benchmark.main(["data", "--data-dir", str(synth_root), "--workers", "0", "--backends", "frames", "pyav",
                           "--frames", "4", "--crop", "32", "--batch-size", "2", "--batches", "2", "--json", str(out)])
    assert [r["backend"] for r in rows] == ["frames", "pyav"]
    for r in rows:
        assert r["clips"] == 4 and r["clips_per_s"] > 0 and r["input"] == [3, 4, 32, 32] and r["boxes"] == [4, 4, 4]
        assert r["clips_per_cpu_s"] > 0  # 0 workers: the pipeline's CPU time is this process's
    assert json.load(open(out)) == rows


def test_model_subcommand_is_wired():
    args = benchmark.build_parser().parse_args(["model", "--cfg", "x.yaml", "--attn-impl", "sdpa", "--batch-size", "2"])
    assert args.fn is benchmark.run_model and args.attn_impl == ["sdpa"] and args.batch_size == [2]
