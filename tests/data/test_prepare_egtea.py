"""prepare_egtea.py: action_idx.txt + train/test_split files + cropped clips -> lists that train."""
from __future__ import annotations

from data_tools import prepare_egtea
from tests.data.prepare_helpers import problems, read_list, train_one_step, write_video


def test_egtea_split_files_to_a_training_run(tmp_path, capsys) -> None:
    ann, clips, out = tmp_path / "action_annotation", tmp_path / "cropped_clips", tmp_path / "lists"
    ann.mkdir()
    (ann / "action_idx.txt").write_text("Open fridge 2\nInspect/Read recipe 1\nTake bowl 3\n")
    a = "OP01-R01-PastaSalad-1002316-1004005-F024051-F024101"
    b = "P20-R03-BaconAndEggs-180523-183340-F004322-F004390"
    c = "OP02-R02-TurkeySandwich-11111-22222-F000100-F000150"
    (ann / "train_split1.txt").write_text(f"{a} 1 1 8\n{b} 3 2 5\nnot-a-line 2\nP99-missing-clip 2 3 4\n")
    (ann / "test_split1.txt").write_text(f"{c} 2 4 6\n")
    write_video(clips / "OP01-R01-PastaSalad" / f"{a}.mp4", 6)
    write_video(clips / "P20-R03-BaconAndEggs" / f"{b}.mp4", 6)
    write_video(clips / "OP02-R02-TurkeySandwich" / f"{c}.mp4", 6)

    assert prepare_egtea.main(["--annotations", str(ann), "--videos", str(clips), "--out", str(out),
                               "--no-progress"]) == 0
    assert read_list(out / "classes.txt") == ["Inspect/Read recipe", "Open fridge", "Take bowl"]
    assert read_list(out / "train.txt") == [f"OP01-R01-PastaSalad/{a}.mp4 0", f"P20-R03-BaconAndEggs/{b}.mp4 2"]
    assert read_list(out / "val.txt") == [f"OP02-R02-TurkeySandwich/{c}.mp4 1"]
    assert sorted((r[0], r[2]) for r in problems(out)) == [("malformed", "3"), ("missing", "4")]
    assert "has 3 actions (EGTEA Gaze+ has 106)" in capsys.readouterr().out
    train_one_step("egtea", out, clips, tmp_path / "run", num_val=1, num_classes=3)
