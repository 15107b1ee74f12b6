"""tools/speed_vs_original_families.py on a tiny fake "original" written into a temp dir (no checkout,
no network): the original is imported from the given root, its weights go into ours through an
adapter, a pair with different outputs is refused before any timing, and an equal pair gives
interleaved rows of both sides and a summary with the ratio, with the metadata of benchmark rows."""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]

# An "original" TSN: torchvision's ResNet-18 on every frame of a (B, T*3, H, W) clip, logits averaged
# over frames (ours: TSN-R18 without temporal stride computes the same); CONSENSUS "max" is a wrong port.
FAKE = '''
import torch.nn as nn
from torchvision.models.resnet import BasicBlock, ResNet


class FakeTSN(ResNet):
    def __init__(self, classes, frames, consensus):
        super().__init__(BasicBlock, [2, 2, 2, 2], num_classes=classes)
        self.frames, self.consensus = frames, consensus

    def forward(self, x):
        b = x.shape[0]
        y = super().forward(x.reshape(-1, 3, *x.shape[2:])).view(b, self.frames, -1)
        return y.mean(1) if self.consensus == "mean" else y.amax(1)
'''


def _tool():
    spec = importlib.util.spec_from_file_location("tool_speed_vs_original_families",
                                                  REPO / "tools" / "speed_vs_original_families.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    root = tmp_path / "fake_original"
    root.mkdir()
    (root / "fake_tsn.py").write_text(FAKE)
    monkeypatch.setattr(sys, "path", list(sys.path))  # import_from puts the root first; undone after
    yield str(root)
    sys.modules.pop("fake_tsn", None)


def _family(consensus: str):
    from tools.original_families import Family, OriginalCall, import_from

    def build(root: str, size: dict) -> OriginalCall:
        m = import_from(root, "fake_tsn", "fake_tsn.py")
        return OriginalCall(m.FakeTSN(size["classes"], size["frames"], consensus),
                            lambda x: x.transpose(1, 2).reshape(x.shape[0], -1, *x.shape[3:]),
                            lambda net, x: net(x))

    opts = ["CNN.WITHOUT_T_STRIDE", "True", "DATA.NUM_FRAMES", "{frames}", "DATA.TRAIN_CROP_SIZE", "{crop}",
            "DATA.TEST_CROP_SIZE", "{crop}", "MODEL.NUM_CLASSES", "{classes}"]
    save = lambda sd: {"model": {f"module.{k}": v for k, v in sd.items()}}  # noqa: E731 - as a DDP trainer saves
    return Family(f"fake_{consensus}", "svmix_root", build, "configs/synthetic/tsn_tiny.yaml", opts, "svmix",
                  {"frames": 2, "crop": 32, "classes": 5}, save)


def _measure(tool, family, root, modes=("eval", "train")):
    return tool.measure_family(family, root, batch=2, modes=list(modes), repeats=2, warmup=0, iters=1, tol=1e-4,
                               device=torch.device("cpu"), info={"loadavg": [0.0, 0.0, 0.0]})


def test_equal_original_is_timed_side_by_side(fake_root):
    tool = _tool()
    rec = _measure(tool, _family("mean"), fake_root)
    assert rec["check"]["ok"] and rec["check"]["max_abs_prob_diff"] <= 1e-4
    assert rec["check"]["max_rel_logit_diff"] <= 1e-4 and rec["check"]["max_abs_logit"] > 0
    assert "refused" not in rec and rec["params"]["ours"] == rec["params"]["original"]
    # interleaved: per mode, rounds of both sides, the first side alternating
    sides = [(r["mode"], r["side"]) for r in rec["rows"]]
    assert sides == [("eval", "original"), ("eval", "ours"), ("eval", "ours"), ("eval", "original"),
                     ("train", "original"), ("train", "ours"), ("train", "ours"), ("train", "original")]
    assert all(r["input"] == [2, 3, 2, 32, 32] for r in rec["rows"])
    summary = {s["mode"]: s for s in rec["summary"]}
    assert set(summary) == {"eval", "train"}
    for s in summary.values():
        assert math.isfinite(s["speedup"]) and s["speedup"] > 0
        assert s["speedup"] == pytest.approx(s["original_s_per_step"] / s["ours_s_per_step"])
        assert "cpu_speedup" in s
    assert rec["loadavg"] == [0.0, 0.0, 0.0] and rec["family"] == "fake_mean" and rec["model"] == "TSN"


def test_mismatching_original_is_refused_untimed(fake_root):
    rec = _measure(_tool(), _family("max"), fake_root)
    assert not rec["check"]["ok"] and rec["check"]["max_rel_logit_diff"] > 1e-4
    assert "refused" in rec and "not timed" in rec["refused"]
    assert "rows" not in rec and "summary" not in rec


def test_summary_is_median_of_rounds():
    tool = _tool()
    rows = [{"mode": "eval", "side": side, "s_per_step": s} for side, s in
            [("original", 4.0), ("ours", 1.0), ("ours", 3.0), ("original", 2.0), ("ours", 2.0), ("original", 9.0)]]
    (s,) = tool.summarize(rows)
    assert s["original_s_per_step"] == 4.0 and s["ours_s_per_step"] == 2.0 and s["speedup"] == 2.0
    assert "cpu_speedup" not in s  # not measured (a GPU row): not made up


def test_cli_writes_rows_with_run_metadata(fake_root, tmp_path, monkeypatch):
    tool = _tool()
    from tools import original_families

    monkeypatch.setitem(original_families.FAMILIES, "fake_mean", _family("mean"))
    out = tmp_path / "rows.json"
    argv = ["--svmix-root", fake_root, "--families", "fake_mean", "h2cn_r50", "--modes", "eval", "--repeats", "1",
            "--warmup", "0", "--iters", "1", "--size", "crop=32", "--json", str(out)]
    records = tool.main(argv)
    saved = json.loads(out.read_text())
    assert [r["family"] for r in saved] == [r["family"] for r in records] == ["fake_mean"]  # h2cn: no root, skipped
    rec = saved[0]
    for key in ("device_name", "torch", "git_commit", "command", "loadavg"):
        assert key in rec
    assert "tools/speed_vs_original_families.py" in rec["command"] and rec["size"]["crop"] == 32
    assert [s["mode"] for s in rec["summary"]] == ["eval"]
    with pytest.raises(ValueError, match="frames=N"):
        tool.main(["--svmix-root", fake_root, "--families", "fake_mean", "--size", "width=3"])
