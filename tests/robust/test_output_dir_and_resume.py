"""Output folders holding another run, resume with a changed config, checkpoint retention,
stats.jsonl after a resume (issue 9, failures 4 and 5; newcomer items)."""
from __future__ import annotations

import json
import logging
import os

import engine_toy
import pytest

from svit.checkpoint import read_checkpoint
from svit.config import load_config
from svit.engine.launch import launch_job, main
from svit.engine.output_dir import OutputDirError
from svit.engine.resume_check import ResumeConfigError, compare_configs
from svit.run_folder import checkpoint_path, list_checkpoints

FAST = {"TRAIN.EVAL_PERIOD": 0, "TEST.ENABLE": False}


def run(out, **overrides):
    cfg = load_config(None, engine_toy.toy_opts(str(out), **{**FAST, **overrides}))
    launch_job(cfg, func=engine_toy.run_toy)
    return cfg


def stats(out):
    return [json.loads(line) for line in open(os.path.join(out, "stats.jsonl"))]


def test_fresh_run_into_a_used_folder_refuses(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 3})
    before = {p: os.path.getmtime(p) for p in list_checkpoints(str(out))}
    n_stats = len(stats(out))
    with pytest.raises(OutputDirError, match=r"already holds another run.*checkpoint_epoch_00001.*TRAIN.OVERWRITE"):
        run(out, **{"TRAIN.AUTO_RESUME": False, "SOLVER.MAX_EPOCH": 1})
    # nothing of the old run was touched
    assert {p: os.path.getmtime(p) for p in list_checkpoints(str(out))} == before
    assert len(stats(out)) == n_stats


def test_launcher_prints_one_line_and_exits_1(tmp_path, capsys):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("")
    opts = engine_toy.toy_opts(str(out), **{**FAST, "TRAIN.AUTO_RESUME": False, "SOLVER.MAX_EPOCH": 1})
    code = main(["--cfg", str(cfg_file), *opts])
    err = capsys.readouterr().err
    assert code == 1 and "already holds another run" in err and "Traceback" not in err


def test_overwrite_clears_the_old_run(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 3})
    run(out, **{"TRAIN.AUTO_RESUME": False, "TRAIN.OVERWRITE": True, "SOLVER.MAX_EPOCH": 1})
    assert list_checkpoints(str(out)) == [checkpoint_path(str(out), 1)]
    epochs = [s["epoch"] for s in stats(out) if s["_type"] == "train_epoch"]
    assert epochs == [1]


def test_resume_continues_in_place(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    run(out, **{"SOLVER.MAX_EPOCH": 2})  # AUTO_RESUME True (the toy default)
    assert [s["epoch"] for s in stats(out) if s["_type"] == "train_epoch"] == [1, 2]


def test_resume_with_another_model_refuses(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    with pytest.raises(ResumeConfigError, match=r"MODEL.MODEL_NAME: 'TinyLinear' -> 'TinyBN'"):
        run(out, **{"SOLVER.MAX_EPOCH": 2, "MODEL.MODEL_NAME": "TinyBN"})
    assert list_checkpoints(str(out)) == [checkpoint_path(str(out), 1)]


def test_resume_with_other_lr_warns(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 1})
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("svit.resume_check").addHandler(handler)
    try:
        run(out, **{"SOLVER.MAX_EPOCH": 2, "SOLVER.BASE_LR": 0.25})
    finally:
        logging.getLogger("svit.resume_check").removeHandler(handler)
    msgs = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert len(msgs) == 1 and "SOLVER.BASE_LR: 0.5 -> 0.25" in msgs[0]
    assert read_checkpoint(checkpoint_path(str(out), 2))["epoch"] == 2


def test_tsn_to_tsm_is_architectural():
    a = load_config(None, ["MODEL.ARCH", "cnn", "MODEL.MODEL_NAME", "TSN"])
    b = load_config(None, ["MODEL.ARCH", "cnn", "MODEL.MODEL_NAME", "TSM", "CNN.DEPTH", "18",
                           "CNN.IMAGENET_WEIGHTS", "/w.pth", "SOLVER.BASE_LR", "0.01", "MVIT.DEPTH", "3"])
    arch, other = compare_configs(a.dump(), b)
    assert any(x.startswith("MODEL.MODEL_NAME") for x in arch) and any(x.startswith("CNN.DEPTH") for x in arch)
    # weight files, optimisation and another family's section are not architectural
    assert not any(x.startswith(("CNN.IMAGENET_WEIGHTS", "SOLVER.", "MVIT.")) for x in arch)
    assert any(x.startswith("SOLVER.BASE_LR") for x in other) and any(x.startswith("MVIT.DEPTH") for x in other)
    c = load_config(None, ["MODEL.ARCH", "cnn", "MODEL.MODEL_NAME", "TSN", "MODEL.NUM_CLASSES", "10"])
    assert compare_configs(a.dump(), c)[0] == ["MODEL.NUM_CLASSES: 174 -> 10"]


def test_keep_last_checkpoints(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 4, "TRAIN.KEEP_LAST_CHECKPOINTS": 2})
    assert list_checkpoints(str(out)) == [checkpoint_path(str(out), 3), checkpoint_path(str(out), 4)]


def test_stats_after_a_resume_have_no_repeated_epoch_and_carry_time(tmp_path):
    out = tmp_path / "run"
    run(out, **{"SOLVER.MAX_EPOCH": 2})
    # a kill during epoch 2 after its step records were written: drop the epoch-2 checkpoint
    os.remove(checkpoint_path(str(out), 2))
    with open(os.path.join(out, "stats.jsonl"), "a") as f:
        f.write('{"_type": "train_iter", "epoch": 2, "it')  # a line cut by the kill
    run(out, **{"SOLVER.MAX_EPOCH": 2})
    recs = stats(out)
    iters = [(r["epoch"], r["iter"]) for r in recs if r["_type"] == "train_iter"]
    assert len(iters) == len(set(iters)) == 6  # 3 steps x 2 epochs, none twice
    assert [r["epoch"] for r in recs if r["_type"] == "train_epoch"] == [1, 2]
    resume = [r for r in recs if r["_type"] == "resume"]
    assert len(resume) == 1 and resume[0]["epoch"] == 1 and resume[0]["dropped_records"] == 5
    assert all(isinstance(r["time"], float) for r in recs)
    times = [r["time"] for r in recs]
    assert times == sorted(times)


def test_resume_flag_continues_another_folders_checkpoint_identically(tmp_path):
    import torch

    a = tmp_path / "a"
    run(a, **{"SOLVER.MAX_EPOCH": 2})
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("")
    b = tmp_path / "b"
    opts = engine_toy.toy_opts(str(b), **{**FAST, "SOLVER.MAX_EPOCH": 2, "TRAIN.AUTO_RESUME": False})
    assert main(["--cfg", str(cfg_file), "--resume", checkpoint_path(str(a), 1), *opts]) == 0
    assert list_checkpoints(str(b)) == [checkpoint_path(str(b), 2)]  # started at epoch 1
    wa = read_checkpoint(checkpoint_path(str(a), 2))["model_state"]
    wb = read_checkpoint(checkpoint_path(str(b), 2))["model_state"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
