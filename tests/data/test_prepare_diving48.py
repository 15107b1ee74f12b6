"""prepare_diving48.py: V2 JSON + vocabulary + rgb/*.mp4 -> lists that train."""
from __future__ import annotations

import json

from data_tools import prepare_diving48
from tests.data.prepare_helpers import problems, read_list, train_one_step, write_video

VOCAB = [["Back", "15som", "05Twis", "FREE"], ["Forward", "25som", "NoTwis", "PIKE"],
         ["Inward", "35som", "NoTwis", "TUCK"]]


def test_diving48_v2_json_to_a_training_run(tmp_path) -> None:
    ann, rgb, out = tmp_path / "d48", tmp_path / "rgb", tmp_path / "lists"
    ann.mkdir()
    (ann / "Diving48_vocab.json").write_text(json.dumps(VOCAB))
    train = [{"vid_name": "-mmq0PT-u8k_00155", "label": 2, "start_frame": 0, "end_frame": 40},
             {"vid_name": "9jZYYPqaXe4_00002", "label": 0, "start_frame": 10, "end_frame": 5},  # end < start
             {"vid_name": "missing_00001", "label": 1, "start_frame": 0, "end_frame": 30},
             {"vid_name": "abc_00003", "label": 48, "start_frame": 0, "end_frame": 30},  # label out of range
             {"vid_name": "abc_00004", "label": 1, "start_frame": 0, "end_frame": 30}]
    test = [{"vid_name": "xyz_00001", "label": 0, "start_frame": 0, "end_frame": 20}, {"label": 1}]
    (ann / "Diving48_V2_train.json").write_text(json.dumps(train))
    (ann / "Diving48_V2_test.json").write_text(json.dumps(test))
    for name in ("-mmq0PT-u8k_00155", "9jZYYPqaXe4_00002", "abc_00004", "xyz_00001"):
        write_video(rgb / f"{name}.mp4", 6)

    assert prepare_diving48.main(["--annotations", str(ann), "--videos", str(rgb), "--out", str(out),
                                  "--no-progress"]) == 0
    assert read_list(out / "classes.txt") == ["Back 15som 05Twis FREE", "Forward 25som NoTwis PIKE",
                                              "Inward 35som NoTwis TUCK"]
    assert read_list(out / "train.txt") == ["-mmq0PT-u8k_00155.mp4 2", "abc_00004.mp4 1"]
    assert read_list(out / "val.txt") == ["xyz_00001.mp4 0"]
    assert sorted((r[0], r[1].rsplit("_", 1)[-1], r[2]) for r in problems(out)) == [
        ("malformed", "test.json", "2"), ("malformed", "train.json", "2"), ("malformed", "train.json", "4"),
        ("missing", "train.json", "3")]
    train_one_step("diving48", out, rgb, tmp_path / "run", num_val=1, num_classes=3)
