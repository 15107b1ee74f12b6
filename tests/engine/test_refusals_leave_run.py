"""A refused run changes nothing on disk; a run killed during its first checkpoint write restarts;
TRAIN.OVERWRITE starts a fresh log (issue 19, items 4, 7, 8 and a newcomer item)."""
from __future__ import annotations

import hashlib
import json
import os
import socket

import engine_toy
import pytest
import torch

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.config.errors import ConfigError
from svit.engine.launch import EXIT_CONFIG, launch_job, main
from svit.engine.output_dir import OutputDirError
from svit.engine.resume_check import ResumeConfigError
from svit.run_folder import checkpoint_dir, checkpoint_path, list_checkpoints

FAST = {"TRAIN.EVAL_PERIOD": 0, "TEST.ENABLE": False}


def run(out, **overrides):
    cfg = load_config(None, engine_toy.toy_opts(str(out), **{**FAST, **overrides}))
    launch_job(cfg, func=engine_toy.run_toy)
    return cfg


def snapshot(folder) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha1 of its bytes)."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            p = os.path.join(root, name)
            found[os.path.relpath(p, folder)] = hashlib.sha1(open(p, "rb").read()).hexdigest()
    return found


def stats(out):
    return [json.loads(line) for line in open(os.path.join(out, "stats.jsonl"))]


def dead_pid() -> int:
    """A pid no process has (the writer of a killed save)."""
    pid = 2**22 - 7
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


# ------------------------------------------------------------------ item 4: test-only without weights
def test_test_only_run_without_a_checkpoint_is_refused_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("")
    opts = engine_toy.toy_opts(str(out), **{"TRAIN.ENABLE": False, "TEST.ENABLE": True})
    code = main(["--cfg", str(cfg_file), *opts])
    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert "TEST.CHECKPOINT_FILE_PATH" in err and "random" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert os.listdir(out) == []  # no config.yaml, no log.txt, no results
    missing = tmp_path / "never_created"
    with pytest.raises(ConfigError, match="TEST.CHECKPOINT_FILE_PATH"):
        run(missing, **{"TRAIN.ENABLE": False, "TEST.ENABLE": True})
    assert not missing.exists()


def test_test_only_run_with_a_checkpoint_in_output_dir_still_runs(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    run(out, **{"TRAIN.ENABLE": False, "TEST.ENABLE": True})
    res = json.load(open(out / "test_results.json"))
    assert res["checkpoint"] == checkpoint_path(str(out), 1)


# ------------------------------------------------------------------ item 7: refused resume
def test_refused_resume_changes_nothing_on_disk(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1, "TENSORBOARD.ENABLE": True})
    before = snapshot(out)
    assert {"config.yaml", "log.txt", "stats.jsonl"} <= set(before)
    with pytest.raises(ResumeConfigError, match="MODEL.MODEL_NAME"):
        run(out, **{"SOLVER.MAX_EPOCH": 2, "MODEL.MODEL_NAME": "TinyBN", "TENSORBOARD.ENABLE": True})
    assert snapshot(out) == before  # config.yaml, log.txt, stats.jsonl, tb/, checkpoints
    assert "TinyLinear" in (out / "config.yaml").read_text()


def test_refused_fresh_run_changes_nothing_on_disk(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    before = snapshot(out)
    with pytest.raises(OutputDirError):
        run(out, **{"TRAIN.AUTO_RESUME": False, "SOLVER.BASE_LR": 0.1})
    assert snapshot(out) == before


# ------------------------------------------------------------------ item 8: kill during the first save
def killed_during_first_save(out, leave_temp: bool) -> dict:
    """A finished 1-epoch run turned into what a kill (temp left) or a full disk (temp removed) during
    its first checkpoint write leaves: stats of epoch 1, no checkpoint. Returns the lost weights."""
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    ck = checkpoint_path(str(out), 1)
    weights = read_checkpoint(ck)["model_state"]
    os.remove(ck)
    if leave_temp:
        host = socket.gethostname()
        tmp = os.path.join(checkpoint_dir(str(out)), f".{os.path.basename(ck)}.{host}.{dead_pid()}.x1y2.tmp")
        with open(tmp, "wb") as f:
            f.write(b"PK\x03\x04 partial")
    assert any(s["_type"] == "train_epoch" for s in stats(out))
    return weights


@pytest.mark.parametrize("leave_temp", [True, False], ids=["kill", "disk_full"])
def test_same_command_restarts_after_a_fault_in_the_first_checkpoint_write(tmp_path, leave_temp):
    out = tmp_path / "run"
    lost = killed_during_first_save(out, leave_temp)
    run(out, **{"SOLVER.MAX_EPOCH": 1})  # the same command (AUTO_RESUME True)
    assert list_checkpoints(str(out)) == [checkpoint_path(str(out), 1)]
    again = read_checkpoint(checkpoint_path(str(out), 1))["model_state"]
    assert all(torch.equal(lost[k], again[k]) for k in lost)  # the same run, from the start
    recs = stats(out)
    assert [r["epoch"] for r in recs if r["_type"] == "train_epoch"] == [1]
    iters = [(r["epoch"], r["iter"]) for r in recs if r["_type"] == "train_iter"]
    assert len(iters) == len(set(iters)) == 3
    resume = [r for r in recs if r["_type"] == "resume"]
    assert len(resume) == 1 and resume[0]["epoch"] == 0 and resume[0]["dropped_records"] == 4
    assert not [n for n in os.listdir(checkpoint_dir(str(out))) if n.endswith(".tmp")]


def test_restart_of_a_killed_run_with_another_model_is_refused(tmp_path):
    out = tmp_path / "run"
    killed_during_first_save(out, leave_temp=False)
    before = snapshot(out)
    with pytest.raises(OutputDirError, match=r"MODEL.MODEL_NAME: 'TinyLinear' -> 'TinyBN'"):
        run(out, **{"SOLVER.MAX_EPOCH": 1, "MODEL.MODEL_NAME": "TinyBN"})
    assert snapshot(out) == before


def test_a_run_whose_checkpoints_were_deleted_is_not_restarted(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 2})  # checkpoints after epochs 1 and 2 were written
    for p in list_checkpoints(str(out)):
        os.remove(p)
    before = snapshot(out)
    with pytest.raises(OutputDirError, match="already holds another run"):
        run(out, **{"SOLVER.MAX_EPOCH": 2})
    assert snapshot(out) == before


# ------------------------------------------------------------------ TRAIN.OVERWRITE: a fresh log
def test_overwrite_starts_a_fresh_log(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    with open(out / "log.txt", "a") as f:
        f.write("OLD RUN MARKER\n")
    run(out, **{"SOLVER.MAX_EPOCH": 1, "TRAIN.AUTO_RESUME": False, "TRAIN.OVERWRITE": True})
    log = (out / "log.txt").read_text()
    assert "OLD RUN MARKER" not in log
    assert "TRAIN.OVERWRITE: deleted" in log and "log.txt" in log and "Saved" in log


def test_resume_appends_to_the_log(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    first = (out / "log.txt").read_text()
    run(out, **{"SOLVER.MAX_EPOCH": 2})
    log = (out / "log.txt").read_text()
    assert log.startswith(first) and "Resuming from" in log[len(first):]
