"""tools/ conventions and the small tools (issue 9, newcomer items): list.py, flags, --json."""
from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = sorted(p for p in (REPO / "tools").glob("*.py"))


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", REPO / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # as a real import does: dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_list_models_and_registries(capsys):
    tool = load_tool("list")
    assert tool.main(["models"]) == 0
    out = capsys.readouterr().out
    for name in ("MViT", "SViT", "TSN", "TSM", "I3D", "H2CN"):
        assert f"  {name} " in out or f"  {name}\n" in out
    assert tool.main(["tasks", "--json"]) == 0
    tasks = json.loads(capsys.readouterr().out)
    assert {"classification", "svit_cotrain"} <= {t["name"] for t in tasks}


def test_list_configs_with_sizes(tmp_path, capsys):
    tool = load_tool("list")
    for name in ("mvit_tiny.yaml", "svit_tiny.yaml"):  # mvit_tiny inherits svit_tiny
        shutil.copy(REPO / "configs" / "synthetic" / name, tmp_path / name)
    (tmp_path / "broken.yaml").write_text("MODEL:\n  MODEL_NAME: NoSuchNet\n")
    out_json = tmp_path / "configs.json"
    assert tool.main(["configs", "--dir", str(tmp_path), "--json", str(out_json)]) == 0
    rows = {Path(r["config"]).name: r for r in json.loads(out_json.read_text())}
    import torch  # the size printed is the real parameter count of the built model

    from svit.config import load_config
    from svit.models import build_model

    want = sum(p.numel() for p in build_model(load_config(str(tmp_path / "mvit_tiny.yaml"))).parameters())
    assert rows["mvit_tiny.yaml"]["params"] == want and rows["mvit_tiny.yaml"]["model"] == "MViT"
    assert rows["broken.yaml"]["params"] is None and "NoSuchNet" in rows["broken.yaml"]["note"]
    assert torch.is_tensor(torch.zeros(1))


def _parsers():
    """Every argparse parser the tools build (sub-commands included)."""
    found = []
    orig = argparse.ArgumentParser.parse_args

    def grab(self, *a, **k):
        found.append(self)
        raise SystemExit(0)

    argparse.ArgumentParser.parse_args = grab
    try:
        for path in TOOLS:
            mod = load_tool(path.stem)
            if hasattr(mod, "main"):
                try:
                    mod.main([])
                except SystemExit:
                    pass
    finally:
        argparse.ArgumentParser.parse_args = orig
    return found


def test_every_option_of_every_tool_has_help_and_json_means_the_same():
    parsers = _parsers()
    assert len(parsers) >= 6
    for parser in parsers:
        stack = [parser]
        while stack:
            p = stack.pop()
            for action in p._actions:
                if isinstance(action, argparse._SubParsersAction):
                    stack.extend(action.choices.values())
                    continue
                if isinstance(action, argparse._HelpAction):
                    continue
                assert action.help, f"{p.prog}: {action.option_strings or action.dest} has no help text"
                if "--json" in action.option_strings:
                    assert action.nargs == "?" and action.const == "-" and action.default is None, p.prog
                if "--cfg" in action.option_strings:
                    assert action.dest in ("cfg", "cfg_file"), p.prog


@pytest.mark.parametrize("argv, want", [
    (["--cfg", "a.yaml", "A.B", "1"], ["A.B", "1"]),
    (["--cfg", "a.yaml", "--opts", "A.B", "1"], ["A.B", "1"]),
    (["--cfg", "a.yaml", "A.B", "1", "--opts", "C.D", "2"], ["A.B", "1", "C.D", "2"]),
])
def test_overrides_positional_or_opts(argv, want):
    from svit.utils.cli import add_cfg_args, parse_known

    p = argparse.ArgumentParser()
    add_cfg_args(p)
    assert parse_known(p, argv).opts == want


def _score_run(root: Path, name: str) -> Path:
    import numpy as np

    run = root / name
    run.mkdir()
    np.savez(run / "test_scores.npz", scores=np.eye(3, dtype=np.float32), labels=np.arange(3),
             video_ids=np.asarray(["x", "y", "z"]))
    return run


def test_ensemble_writes_only_where_told_and_never_overwrites(tmp_path, capsys, monkeypatch):
    tool = load_tool("ensemble")
    a, b = _score_run(tmp_path, "a"), _score_run(tmp_path, "b")
    monkeypatch.chdir(tmp_path)
    assert tool.main([str(a), str(b)]) == 0
    assert "no files written" in capsys.readouterr().out
    assert not (tmp_path / "output").exists()  # no silent default folder
    out = tmp_path / "ens"
    assert tool.main([str(a), str(b), "--out", str(out)]) == 0
    assert f"wrote {out / 'ensemble_results.json'}" in capsys.readouterr().out
    before = (out / "ensemble_results.json").read_text()
    assert tool.main([str(a), str(b), "--weights", "1", "3", "--out", str(out)]) == 2
    assert "already holds ensemble_results.json" in capsys.readouterr().err
    assert (out / "ensemble_results.json").read_text() == before
    assert tool.main([str(a), str(b), "--weights", "1", "3", "--out", str(out), "--overwrite", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["weight"] for r in printed["runs"]] == [1.0, 3.0]
    assert json.loads((out / "ensemble_results.json").read_text()) == printed


def test_predict_json_ids_are_paths(tmp_path):
    from svit.engine.predictor import Prediction, collect_inputs

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.mp4", "a.avi"):  # collecting inputs does not decode them
        (folder / name).write_bytes(b"video bytes")
    items = collect_inputs([str(folder)])
    dicts = [Prediction(i.video_id, i.path, [(0, "c", 1.0)]).as_dict() for i in items]
    assert [d["video_id"] for d in dicts] == ["a", "a"]  # the names collide ...
    assert sorted(d["id"] for d in dicts) == sorted([str(folder / "a.avi"), str(folder / "a.mp4")])  # ids do not


@pytest.mark.parametrize("argv, opts, dest", [
    (["--cfg", "a.yaml", "--json", "A.B", "1"], ["A.B", "1"], "-"),
    (["--cfg", "a.yaml", "A.B", "1", "--json"], ["A.B", "1"], "-"),
    (["--cfg", "a.yaml", "A.B", "1", "--json", "o.json"], ["A.B", "1"], "o.json"),
    (["--cfg", "a.yaml", "--json", "o.json", "A.B", "1"], ["A.B", "1"], "o.json"),
    (["--cfg", "a.yaml", "A.B", "1"], ["A.B", "1"], None),
])
def test_json_flag_means_the_same_wherever_it_stands(argv, opts, dest):
    from svit.utils.cli import add_cfg_args, add_json_arg, parse_known

    p = argparse.ArgumentParser()
    add_json_arg(p)
    add_cfg_args(p)
    args = parse_known(p, argv)
    assert (args.opts, args.json) == (opts, dest)
