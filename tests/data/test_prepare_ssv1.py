"""prepare_ssv1.py: 20BN CSVs + {:05d}.jpg folders -> TSN lists that train; holes are problems."""
from __future__ import annotations

import shutil

from data_tools import prepare_ssv1
from tests.data.prepare_helpers import problems, read_list, train_one_step, write_frames

CLASSES = ["Holding something", "Pushing something from left to right", "Pushing something from right to left"]


def test_ssv1_official_files_to_a_training_run(tmp_path, capsys) -> None:
    ann, frames, out = tmp_path / "ann", tmp_path / "20bn-something-something-v1", tmp_path / "lists"
    ann.mkdir()
    (ann / "something-something-v1-labels.csv").write_text("\n".join(CLASSES) + "\n")
    (ann / "something-something-v1-train.csv").write_text(
        "100;Holding something\n"
        "101;Pushing something from left to right\n"
        "102 Holding something\n"  # malformed: no ';'
        "103;Pushing something from right to left\n"
        "104;Juggling something\n"  # unknown class
        "105;Holding something\n"  # folder missing
    )
    (ann / "something-something-v1-validation.csv").write_text(
        "200;Pushing something from right to left\n201;Holding something\n")
    (ann / "something-something-v1-test.csv").write_text("300\n")
    for vid, n in (("100", 9), ("101", 8), ("103", 10), ("200", 7), ("201", 12), ("300", 6)):
        write_frames(frames / vid, n, "{:05d}.jpg")
    for k in (4, 5):  # holes in 201: frames 4 and 5 deleted
        (frames / "201" / f"{k:05d}.jpg").unlink()

    code = prepare_ssv1.main(["--annotations", str(ann), "--frames", str(frames), "--out", str(out), "--no-progress"])
    assert code == 0
    assert read_list(out / "classes.txt") == CLASSES
    assert read_list(out / "train.txt") == ["100 9 0", "101 8 1", "103 10 2"]
    assert read_list(out / "val.txt") == ["200 7 2"]
    assert read_list(out / "test.txt") == ["300 6"]
    rows = {(r[0], r[1].rsplit("-", 1)[-1], r[2]) for r in problems(out)}
    assert rows == {("malformed", "train.csv", "3"), ("unknown_class", "train.csv", "5"),
                    ("missing", "train.csv", "6"), ("bad_frames", "validation.csv", "2")}
    printed = capsys.readouterr().out
    assert "1 bad_frames" in printed and "1 missing" in printed and "1 malformed" in printed
    assert "left/right classes of this label list are [[1, 2]]" in printed

    train_one_step("ssv1", out, frames, tmp_path / "run", num_val=1, num_classes=3,
                   extra=["LIST_DATA.FLIP_SWAP_PAIRS", "[[1, 2]]"])

    # a re-run after the folder is repaired picks it up and clears the old report
    shutil.rmtree(frames / "201")
    write_frames(frames / "201", 12)
    (ann / "something-something-v1-train.csv").write_text("100;Holding something\n")
    assert prepare_ssv1.main(["--annotations", str(ann), "--frames", str(frames), "--out", str(out),
                              "--no-progress", "--strict"]) == 0
    assert read_list(out / "val.txt") == ["200 7 2", "201 12 0"]
    assert not (out / "problems.txt").exists()
