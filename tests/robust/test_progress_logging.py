"""Validation/test progress with an ETA, and optional Weights & Biases logging (issue 9, newcomer items)."""
from __future__ import annotations

import logging
import re
import sys
import types

import engine_toy
import pytest

from svit.config import load_config
from svit.engine.launch import launch_job
from svit.engine.progress import eval_progress


def _capture(name):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger(name).addHandler(handler)
    return records, handler


def test_eval_progress_yields_every_batch_and_logs_eta():
    records, handler = _capture("svit.progress")
    logging.getLogger("svit.progress").setLevel(logging.INFO)
    try:
        batches = list(eval_progress(list(range(25)), "val", enabled=True))
    finally:
        logging.getLogger("svit.progress").removeHandler(handler)
    assert batches == list(range(25))
    msgs = [r.getMessage() for r in records]
    assert len(msgs) == 9  # every ceil(25 / 10) = 3 batches, and the last one
    assert msgs[0].startswith("val batch 3/25") and "eta" in msgs[0] and msgs[-1].startswith("val batch 25/25")
    assert list(eval_progress(iter(range(3)), "test", enabled=False)) == [0, 1, 2]


def test_a_run_logs_validation_and_test_progress(tmp_path):
    records, handler = _capture("svit.progress")
    try:
        cfg = load_config(None, engine_toy.toy_opts(str(tmp_path / "o"), **{"SOLVER.MAX_EPOCH": 1}))
        launch_job(cfg, func=engine_toy.run_toy)
    finally:
        logging.getLogger("svit.progress").removeHandler(handler)
    msgs = [r.getMessage() for r in records]
    done = {m.split(" | ")[0] for m in msgs if re.match(r"^(val|test) batch (\d+)/\2 \|", m)}
    assert done == {"val batch 2/2", "test batch 6/6"}, msgs  # 12 videos / 8; 12 videos x 2 views / 4
    assert all("eta" in m for m in msgs if m.startswith(("val batch", "test batch")))


class _FakeWandb(types.ModuleType):
    def __init__(self):
        super().__init__("wandb")
        self.logged, self.init_kwargs, self.finished = [], None, False

    def init(self, **kwargs):
        self.init_kwargs = kwargs
        return self

    def log(self, values, step=None):
        self.logged.append((values, step))

    def finish(self):
        self.finished = True


def test_wandb_is_not_imported_unless_enabled(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # importing it would fail
    cfg = load_config(None, engine_toy.toy_opts(str(tmp_path / "o"), **{"SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False}))
    launch_job(cfg, func=engine_toy.run_toy)


def test_wandb_logs_train_and_val_when_enabled(tmp_path, monkeypatch):
    fake = _FakeWandb()
    monkeypatch.setitem(sys.modules, "wandb", fake)
    cfg = load_config(None, engine_toy.toy_opts(str(tmp_path / "myrun"), **{
        "SOLVER.MAX_EPOCH": 1, "TEST.ENABLE": False, "WANDB.ENABLE": True, "WANDB.PROJECT": "p",
        "WANDB.MODE": "offline"}))
    launch_job(cfg, func=engine_toy.run_toy)
    assert fake.init_kwargs["project"] == "p" and fake.init_kwargs["name"] == "myrun"
    assert fake.init_kwargs["mode"] == "offline" and fake.init_kwargs["config"]["WANDB"]["ENABLE"] is True
    steps = [s for v, s in fake.logged if "train/loss" in v]
    assert steps == [1, 2, 3]
    assert any("val_epoch/top1" in v for v, _ in fake.logged) and fake.finished


def test_wandb_missing_is_a_config_error(tmp_path, monkeypatch):
    from svit.config import ConfigError

    monkeypatch.setitem(sys.modules, "wandb", None)
    cfg = load_config(None, engine_toy.toy_opts(str(tmp_path / "o"), **{"WANDB.ENABLE": True, "TEST.ENABLE": False}))
    with pytest.raises(ConfigError, match="pip install wandb"):
        launch_job(cfg, func=engine_toy.run_toy)
