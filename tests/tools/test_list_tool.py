"""tools/list.py (issue 19, newcomer items): every registered entry has a description, ``configs`` prints
each row as soon as it is known, and a listing of unchanged configs comes from the cache without
importing torch or the config system (no timing: what is imported and what is rebuilt is asserted)."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", REPO / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("kind", ["models", "datasets", "tasks", "hooks", "losses", "adapters", "metrics"])
def test_every_registered_entry_has_a_description(kind):
    tool = load_tool("list")
    reg = tool.registries()[kind]
    ours = {n for n in reg.names() if getattr(reg.get(n), "__module__", "").startswith("svit.")}  # not tests' own
    rows = [r for r in tool.list_registry(kind) if r["name"] in ours]
    assert rows
    assert [r["name"] for r in rows if not r["about"]] == []


@pytest.fixture()
def configs(tmp_path, monkeypatch):
    from svit.utils import config_index

    monkeypatch.setenv("SVIT_CACHE", str(tmp_path / "cache"))
    # the package's code is "unchanged" throughout a test, even while files of the checkout are edited
    monkeypatch.setattr(config_index, "code_fingerprint", lambda package=None: "this code")
    root = tmp_path / "configs"
    root.mkdir()
    for name in ("mvit_tiny.yaml", "svit_tiny.yaml"):  # mvit_tiny inherits svit_tiny
        shutil.copy(REPO / "configs" / "synthetic" / name, root / name)
    return root


def test_configs_rows_stream(configs, capsys, monkeypatch):
    tool = load_tool("list")
    printed_before = []

    def fake_row(path):
        printed_before.append(capsys.readouterr().out)
        return {"model": Path(path).stem, "num_classes": 3, "frames": 4, "params": 1000}

    monkeypatch.setattr(tool, "config_row", fake_row)
    assert tool.main(["configs", "--dir", str(configs), "--no-cache"]) == 0
    assert len(printed_before) == 2
    assert "mvit_tiny.yaml" in printed_before[1]  # the first row was out before the second was computed
    assert "svit_tiny.yaml" in capsys.readouterr().out


def test_configs_cached_until_config_or_code_changes(configs, monkeypatch):
    tool = load_tool("list")
    first = tool.list_configs(str(configs))
    assert {Path(r["config"]).name: r["model"] for r in first} == {"mvit_tiny.yaml": "MViT", "svit_tiny.yaml": "SViT"}
    assert all(r["params"] > 0 for r in first)
    built = []
    real = tool.config_row
    monkeypatch.setattr(tool, "config_row", lambda path: built.append(Path(path).name) or real(path))
    assert tool.list_configs(str(configs)) == first and built == []  # all from the cache
    # a base file changes: both configs (svit_tiny, and mvit_tiny through _BASE_) are rebuilt
    (configs / "svit_tiny.yaml").write_text((configs / "svit_tiny.yaml").read_text() + "\nRNG_SEED: 7\n")
    assert tool.list_configs(str(configs)) == first and sorted(built) == ["mvit_tiny.yaml", "svit_tiny.yaml"]
    built.clear()
    (configs / "mvit_tiny.yaml").write_text((configs / "mvit_tiny.yaml").read_text() + "\nRNG_SEED: 8\n")
    tool.list_configs(str(configs))
    assert built == ["mvit_tiny.yaml"]
    built.clear()
    from svit.utils import config_index

    monkeypatch.setattr(config_index, "code_fingerprint", lambda package=None: "other code")
    tool.list_configs(str(configs))
    assert sorted(built) == ["mvit_tiny.yaml", "svit_tiny.yaml"]  # the code changed: nothing reused
    cached = json.loads((config_index.cache_path()).read_text())
    assert cached["code"] == "other code" and len(cached["rows"]) == 2


def test_broken_config_is_listed_and_cached_unless_the_machine_caused_it(configs, monkeypatch):
    tool = load_tool("list")
    (configs / "broken.yaml").write_text("MODEL:\n  MODEL_NAME: NoSuchNet\n")
    rows = {Path(r["config"]).name: r for r in tool.list_configs(str(configs))}
    assert rows["broken.yaml"]["params"] is None and "NoSuchNet" in rows["broken.yaml"]["note"]
    built = []
    real = tool.config_row
    monkeypatch.setattr(tool, "config_row", lambda path: built.append(Path(path).name) or real(path))
    assert {Path(r["config"]).name: r for r in tool.list_configs(str(configs))} == rows and built == []
    # an error of this machine (a missing optional package) is listed, and tried again next time
    (configs / "svit_tiny.yaml").write_text((configs / "svit_tiny.yaml").read_text() + "\nRNG_SEED: 7\n")

    def no_package(cfg):
        raise ImportError("No module named 'optional_thing'")

    monkeypatch.setattr(tool, "count_parameters", no_package)
    rows = {Path(r["config"]).name: r for r in tool.list_configs(str(configs))}
    assert rows["svit_tiny.yaml"]["note"].startswith("error: ImportError") and sorted(built) == ["mvit_tiny.yaml",
                                                                                                  "svit_tiny.yaml"]
    built.clear()
    tool.list_configs(str(configs))
    assert sorted(built) == ["mvit_tiny.yaml", "svit_tiny.yaml"]


def test_cached_listing_imports_neither_torch_nor_the_config_system(configs):
    script = (f"import sys, runpy; sys.argv = ['list.py', 'configs', '--dir', {str(configs)!r}]\n"
              "import svit.utils.config_index as ci; ci.code_fingerprint = lambda package=None: 'this code'\n"
              "try:\n    runpy.run_path({!r}, run_name='__main__')\nexcept SystemExit:\n    pass\n"
              "print('HEAVY', sorted(m for m in ('torch', 'svit.config', 'svit.models') if m in sys.modules))\n"
              ).format(str(REPO / "tools" / "list.py"))
    env = {**__import__("os").environ}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO)
    assert "HEAVY ['svit.config', 'svit.models', 'torch']" in first.stdout, first.stderr[-2000:]
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO)
    assert "HEAVY []" in second.stdout, second.stderr[-2000:]
    rows = [line for line in second.stdout.splitlines() if line.startswith("  ")]
    assert rows == [line for line in first.stdout.splitlines() if line.startswith("  ")] and len(rows) == 2


def test_predict_help_keeps_its_example_lines():
    out = subprocess.run([sys.executable, str(REPO / "tools" / "predict.py"), "--help"], capture_output=True,
                         text=True).stdout
    assert "--topk 5 \\\n        --views 1 3" in out  # the continuation line is not folded into the one above
