"""prepare_mini_ssv2.py: SSv2 JSON + the shipped 87-class list -> lists that train (videos or frames)."""
from __future__ import annotations

import json

from data_tools import prepare_mini_ssv2
from tests.data.prepare_helpers import REPO, problems, read_list, train_one_step, write_frames, write_video


def _bracketed(name: str) -> str:
    return name.replace("something", "[something]")


def test_mini_ssv2_from_the_official_json(tmp_path) -> None:
    mini = read_list(REPO / "svit" / "resources" / "mini_ssv2_classes.txt")
    assert len(mini) == 87
    full = sorted(mini + ["Not a mini class something"])
    ann, videos, frames, out = tmp_path / "ssv2", tmp_path / "videos", tmp_path / "frames", tmp_path / "lists"
    ann.mkdir()
    labels = {_bracketed(c): str(i) for i, c in enumerate(full)}
    (ann / "something-something-v2-labels.json").write_text(json.dumps(labels))
    train = [{"id": "11", "template": _bracketed(mini[0]), "label": "x", "placeholders": []},
             {"id": "12", "template": "Not a mini class [something]"},
             {"id": "13", "template": _bracketed(mini[86])},
             {"id": "14"},  # malformed: no template
             {"id": "15", "template": _bracketed(mini[3])}]  # video missing
    val = [{"id": "21", "template": _bracketed(mini[40])}]
    (ann / "something-something-v2-train.json").write_text(json.dumps(train))
    (ann / "something-something-v2-validation.json").write_text(json.dumps(val))
    for vid in ("11", "12", "13", "21"):
        write_video(videos / f"{vid}.webm", 6)
        write_frames(frames / vid, 7, "{:04d}.jpg")

    code = prepare_mini_ssv2.main(["--annotations", str(ann), "--videos", str(videos), "--out", str(out),
                                   "--no-progress"])
    assert code == 0
    assert read_list(out / "classes.txt") == mini
    assert read_list(out / "train.txt") == ["11.webm 0", "13.webm 86"]
    assert read_list(out / "val.txt") == ["21.webm 40"]
    assert sorted((r[0], r[1].rsplit("-", 1)[-1], r[2]) for r in problems(out)) == [
        ("malformed", "train.json", "4"), ("missing", "train.json", "5")]
    train_one_step("mini_ssv2", out, videos, tmp_path / "run", num_val=1)

    frame_out = tmp_path / "frame_lists"
    assert prepare_mini_ssv2.main(["--annotations", str(ann), "--frames", str(frames), "--out", str(frame_out),
                                   "--no-progress"]) == 0
    assert read_list(frame_out / "train.txt") == ["11 7 0", "13 7 86"]
