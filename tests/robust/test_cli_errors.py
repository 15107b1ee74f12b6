"""Data errors print one clear line (traceback behind SVIT_DEBUG=1); bugs keep their traceback."""
from __future__ import annotations

import pytest

from svit.engine.cli_errors import report_errors
from svit.engine.launch import main


def _argv(root, out):
    cfg = out.parent / "c.yaml"
    cfg.write_text("")
    return ["--cfg", str(cfg), "TRAIN.DATASET", "ssv2", "TEST.DATASET", "ssv2", "DATA.PATH_TO_DATA_DIR", str(root),
            "OUTPUT_DIR", str(out), "DATA_LOADER.NUM_WORKERS", "0", "TENSORBOARD.ENABLE", "False"]


def test_broken_label_map_is_one_line(synth_copy, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SVIT_DEBUG", raising=False)
    (synth_copy / "something-something-v2-labels.json").write_text('{"Pushing something": "zero"}')
    code = report_errors(lambda: main(_argv(synth_copy, tmp_path / "out")))
    err = capsys.readouterr().err
    assert code == 1, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[0].startswith("Data error: ") and "something-something-v2-labels.json" in lines[0]
    assert lines[1] == "(set SVIT_DEBUG=1 to see the traceback)" and "Traceback" not in err


def test_debug_switch_shows_the_traceback(synth_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("SVIT_DEBUG", "1")
    (synth_copy / "something-something-v2-labels.json").write_text('{"Pushing something": "zero"}')
    with pytest.raises(Exception, match="something-something-v2-labels.json"):
        report_errors(lambda: main(_argv(synth_copy, tmp_path / "out")))


def test_a_bug_is_not_disguised_as_a_data_error():
    def buggy() -> int:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        report_errors(buggy)


def test_full_disk_is_one_line(capsys, monkeypatch):
    import errno

    from svit.utils.atomic import DiskFullError

    monkeypatch.delenv("SVIT_DEBUG", raising=False)

    def full() -> int:
        raise DiskFullError(errno.ENOSPC, "Cannot write /x/c.pyth: the disk is full")

    assert report_errors(full) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "Error: Cannot write /x/c.pyth: the disk is full"
