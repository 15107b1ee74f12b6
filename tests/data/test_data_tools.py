"""data_tools/: frame extraction, box preparation, detector plumbing, list making, CLIs' --help."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from data_tools import detect_boxes, extract_frames, make_lists, prepare_boxes
from svit.data.boxes import load_box_file
from svit.data.sources.ssv2 import ssv2
from tests.data.conftest import make_cfg

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("mod", [extract_frames, prepare_boxes, detect_boxes, make_lists])
def test_help(mod, capsys):
    with pytest.raises(SystemExit) as exc:
        mod.main(["--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "usage" in out and "Example" in out


def test_script_runs_standalone():
    out = subprocess.run(
        [sys.executable, os.path.join(REPO, "data_tools", "make_synthetic_ssv2.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and "--num-videos" in out.stdout


TOOLS = sorted(f for f in os.listdir(os.path.join(REPO, "data_tools")) if f.endswith(".py") and not f.startswith("_"))
HELP_PROBE = """import runpy, sys
sys.argv = [sys.argv[1], "--help"]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exc:
    print("EXIT", exc.code)
print("HEAVY", sorted(m for m in ("torch", "cv2", "svit.data") if m in sys.modules))
"""


@pytest.mark.parametrize("tool", TOOLS)
def test_help_imports_no_torch(tool):
    """--help answers without importing torch, cv2 or svit.data (seconds of imports, issue 19): those
    are imported where the work needs them."""
    out = subprocess.run([sys.executable, "-c", HELP_PROBE, os.path.join(REPO, "data_tools", tool)],
                         capture_output=True, text=True, cwd=REPO)
    assert "EXIT 0" in out.stdout and "usage:" in out.stdout, out.stderr[-2000:]
    assert "HEAVY []" in out.stdout


def test_every_public_module_is_a_tool_and_helpers_are_private():
    """Only tools look like tools: each data_tools/<name>.py has a main() and --help, shared code lives
    in _-prefixed modules (prepare_common.py was a helper that looked like a tool)."""
    import importlib

    assert "prepare_common.py" not in TOOLS and "_prepare_helpers.py" in os.listdir(os.path.join(REPO, "data_tools"))
    for tool in TOOLS:
        assert callable(getattr(importlib.import_module(f"data_tools.{tool[:-3]}"), "main", None)), tool


def test_extract_frames_resumes_and_reports_failures(synth_copy, tmp_path, capsys):
    vids = synth_copy / "videos"
    (vids / "5.webm").write_bytes(b"not a video")
    out = tmp_path / "frames"
    rc = extract_frames.main(["--videos", str(vids), "--out", str(out), "--workers", "1"])
    assert rc == 1 and "5.webm" in (out / "_failed.txt").read_text()
    assert len(os.listdir(out / "1")) == 12 and not (out / "5").exists()
    assert not [d for d in os.listdir(out) if d.startswith(".tmp_")]
    marker = out / "1" / "0001.jpg"
    stamp = marker.stat().st_mtime_ns
    (out / ".tmp_7_123").mkdir()  # a stale half folder from an interrupted run
    extract_frames.main(["--videos", str(vids), "--out", str(out), "--workers", "1", "--fps", "6"])
    assert marker.stat().st_mtime_ns == stamp and not (out / ".tmp_7_123").exists()
    # the extracted folders are readable by the ssv2 source like the originals
    cfg = make_cfg(synth_copy, DATA__PATH_PREFIX=str(tmp_path), SSV2__FRAMES_DIR="frames")
    ds = ssv2(cfg, "val")
    idx = next(i for i, v in enumerate(ds.video_ids) if v != "5")
    item = ds.load(idx, 0, np.random.default_rng(0))
    assert item["inputs"].shape == (3, 4, 32, 32) and item["box_mask"].any()
    # --fps resamples: 12 frames at 12 fps -> 6 frames at 6 fps
    extract_frames.main(["--videos", str(vids), "--out", str(tmp_path / "f6"), "--workers", "1", "--fps", "6"])
    assert len(os.listdir(tmp_path / "f6" / "1")) == 6


def test_prepare_boxes_splits_validates_and_lists_missing(synth_root, tmp_path):
    train = json.load(open(synth_root / "something-something-v2-train.json"))
    ids = [e["id"] for e in train]
    part1 = {ids[0]: json.load(open(synth_root / "bbox_jsons" / f"{ids[0]}.json"))}
    bad = json.load(open(synth_root / "bbox_jsons" / f"{ids[1]}.json"))
    del bad[2]["labels"][0]["standard_category"]
    part2 = {ids[1]: bad}
    (tmp_path / "p1.json").write_text(json.dumps(part1))
    (tmp_path / "p2.json").write_text(json.dumps(part2))
    out = tmp_path / "boxes"
    rc = prepare_boxes.main(
        [
            "--annotations",
            str(tmp_path / "p1.json"),
            str(tmp_path / "p2.json"),
            "--out",
            str(out),
            "--train-list",
            str(synth_root / "something-something-v2-train.json"),
        ]
    )
    assert rc == 1
    assert os.listdir(out / "..") and (out / f"{ids[0]}.json").exists() and not (out / f"{ids[1]}.json").exists()
    assert len(load_box_file(str(out / f"{ids[0]}.json"), ids[0], 4)) == 12
    missing = json.load(open(out / "empty_bbox_train.json"))
    assert ids[1] in missing and ids[0] not in missing and len(missing) == len(ids) - 1


def test_detect_boxes_writes_schema_with_tiny_random_detector(synth_root, tmp_path):
    torch.manual_seed(0)
    model = detect_boxes.build_torchvision_model("fasterrcnn_tiny", 3)
    torch.save(model.state_dict(), tmp_path / "w.pth")
    (tmp_path / "ids.json").write_text(json.dumps(["1"]))
    rc = detect_boxes.main(
        [
            "--frames-dir",
            str(synth_root / "frames"),
            "--ids-file",
            str(tmp_path / "ids.json"),
            "--out",
            str(tmp_path / "det"),
            "--arch",
            "fasterrcnn_tiny",
            "--weights",
            str(tmp_path / "w.pth"),
            "--num-classes",
            "3",
            "--score-thresh",
            "0.0",
            "--device",
            "cpu",
        ]
    )
    assert rc == 0
    vb = load_box_file(str(tmp_path / "det" / "1.json"), "1", 4)  # passes schema validation
    assert len(vb) == 12 and vb.frame_numbers == list(range(1, 13))
    recs = json.load(open(tmp_path / "det" / "1.json"))
    assert all(r["nr_instances"] == len(r["labels"]) <= 4 for r in recs)


def test_frame_record_class_mapping():
    import numpy as np

    boxes = np.array([[0, 0, 5, 5], [1, 1, 6, 6], [2, 2, 7, 7], [3, 3, 8, 8]], float)
    rec = detect_boxes.frame_record(
        "9",
        3,
        "{:04d}.jpg",
        boxes,
        np.array([0.9, 0.8, 0.7, 0.2]),
        np.array([4, 2, 4, 4]),
        hand_class=4,
        score_thresh=0.5,
        max_hands=2,
        max_objects=2,
        names=None,
    )
    cats = [l["standard_category"] for l in rec["labels"]]
    assert rec["name"] == "9/0003.jpg" and cats == ["hand", "hand", "0000"] and rec["gt_placeholders"] == ["class 2"]


def test_make_lists_ssv2_and_scan(synth_root, tmp_path):
    out = tmp_path / "train.txt"
    make_lists.main(
        [
            "ssv2",
            "--list",
            str(synth_root / "something-something-v2-train.json"),
            "--label-map",
            str(synth_root / "something-something-v2-labels.json"),
            "--frames-dir",
            str(synth_root / "frames"),
            "--template",
            "{:04d}.jpg",
            "--format",
            "ibm",
            "--out",
            str(out),
        ]
    )
    lines = out.read_text().splitlines()
    assert len(lines) == len(json.load(open(synth_root / "something-something-v2-train.json")))
    path, start, end, label = lines[0].split()
    assert (start, end) == ("1", "12")
    tree = tmp_path / "tree"
    for c, v in (("b", "x"), ("a", "y")):
        (tree / c / v).mkdir(parents=True)
        for k in range(1, 4):
            (tree / c / v / f"{k:05d}.jpg").write_bytes(b"")
    make_lists.main(
        ["scan", "--root", str(tree), "--out", str(tmp_path / "s.txt"), "--classes-out", str(tmp_path / "c.txt")]
    )
    assert (tmp_path / "s.txt").read_text().splitlines() == ["a/y 3 0", "b/x 3 1"]
    assert (tmp_path / "c.txt").read_text().split() == ["a", "b"]


def test_generator_writes_plain_progress_lines_into_a_redirected_log(tmp_path):
    """make_synthetic_ssv2.py with stderr to a file (not a terminal): one line per tenth, no \\r bars."""
    log = tmp_path / "gen.log"
    with open(log, "w") as fh:
        done = subprocess.run([sys.executable, os.path.join(REPO, "data_tools", "make_synthetic_ssv2.py"), "--out",
                               str(tmp_path / "ds"), "--num-videos", "12", "--frames", "2", "--size", "16",
                               "--workers", "1", "--no-videos"], stdout=fh, stderr=fh, text=True, cwd=REPO)
    text = log.read_text()
    assert done.returncode == 0, text[-2000:]
    assert "\r" not in text
    lines = [ln for ln in text.splitlines() if ln.startswith("synthetic ssv2: ")]
    assert [ln.split()[2] for ln in lines] == [f"{k}/12" for k in range(1, 13)]  # 12 videos: every one is a tenth
    assert lines[-1].startswith("synthetic ssv2: 12/12 videos (100%")


def test_progress_lines_or_bar_by_stream():
    import io

    from svit.utils.progress import progress

    log = io.StringIO()
    assert list(progress(range(100), desc="work", unit="items", stream=log)) == list(range(100))
    lines = log.getvalue().splitlines()
    assert [ln.split()[1] for ln in lines] == [f"{k}/100" for k in range(10, 101, 10)] and "\r" not in log.getvalue()
    log = io.StringIO()
    assert list(progress(iter(range(5)), desc="walk", stream=log)) == list(range(5))  # no total: 1, 2, 4, end
    assert [ln.split()[1] for ln in log.getvalue().splitlines()] == ["1", "2", "4", "5"]
    log = io.StringIO()
    assert list(progress(range(3), enabled=False, stream=log)) == [0, 1, 2] and log.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    assert list(progress(range(3), desc="bar", stream=term)) == [0, 1, 2]
    assert "\r" in term.getvalue() and "bar" in term.getvalue()  # a live tqdm bar on a terminal
