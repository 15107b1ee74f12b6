"""prepare_ucf101.py: classInd/trainlist/testlist + .avi -> lists that train; problems named."""
from __future__ import annotations

import subprocess
import sys

import pytest

from data_tools import prepare_ucf101
from tests.data.prepare_helpers import REPO, problems, read_list, train_one_step, write_video


def test_ucf101_official_files_to_a_training_run(tmp_path) -> None:
    splits, videos, out = tmp_path / "ucfTrainTestlist", tmp_path / "UCF-101", tmp_path / "lists"
    splits.mkdir()
    (splits / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Archery\n3 HandstandPushups\n")
    names = {}
    for cls in ("ApplyEyeMakeup", "Archery", "HandstandPushups"):
        stem = cls if cls != "HandstandPushups" else "HandStandPushups"  # the official spelling mismatch
        names[cls] = [f"{cls}/v_{stem}_g0{g}_c01.avi" for g in (1, 8)]
        for rel in names[cls]:
            write_video(videos / rel, num_frames=6)
    train = [f"{names[c][1]} {i + 1}" for i, c in enumerate(names)]
    train.insert(1, "Archery/v_Archery_g09_c01.avi 2")  # listed but never downloaded -> missing
    train.append("Archery/v_Archery_g08_c01.avi two")  # malformed label
    (splits / "trainlist01.txt").write_text("\r\n".join(train) + "\r\n")  # the official files use CRLF
    (splits / "testlist01.txt").write_text("\n".join(names[c][0] for c in names) + "\n")

    code = prepare_ucf101.main(["--splits", str(splits), "--videos", str(videos), "--out", str(out), "--no-progress"])
    assert code == 0
    assert read_list(out / "classes.txt") == ["ApplyEyeMakeup", "Archery", "HandstandPushups"]
    assert read_list(out / "train.txt") == [f"{names[c][1]} {i}" for i, c in enumerate(names)]
    assert read_list(out / "val.txt") == [f"{names[c][0]} {i}" for i, c in enumerate(names)]
    rows = problems(out)
    assert [(r[0], r[2]) for r in rows] == [("missing", "2"), ("malformed", "5")]
    assert rows[0][1].endswith("trainlist01.txt") and "v_Archery_g09_c01.avi" in rows[0][3]
    # --strict turns the reported problems into a failure
    assert prepare_ucf101.main(["--splits", str(splits), "--videos", str(videos), "--out", str(out),
                                "--no-progress", "--strict"]) == 1

    train_one_step("ucf101", out, videos, tmp_path / "run", num_val=3, num_classes=3)


def test_prepare_scripts_have_help(capsys) -> None:
    import importlib

    for name in ("ssv1", "kinetics", "mini_kinetics", "mini_ssv2", "ucf101", "diving48", "egtea"):
        module = importlib.import_module(f"data_tools.prepare_{name}")
        with pytest.raises(SystemExit) as exc:
            module.main(["--help"])
        assert exc.value.code == 0
        text = capsys.readouterr().out
        assert "--out" in text and "--strict" in text and "Example" in text, name
    # run as a script (not as a module of the package): the import path set-up works
    res = subprocess.run([sys.executable, str(REPO / "data_tools" / "prepare_ucf101.py"), "--help"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and "classInd.txt" in res.stdout, res.stderr
