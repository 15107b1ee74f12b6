"""The run folder's layout has one home (svit/run_folder.py): every file a run writes is named there,
so the OUTPUT_DIR checks see it and TRAIN.OVERWRITE deletes it (issue 21, item 4)."""
from __future__ import annotations

import ast
import os
from pathlib import Path

import engine_toy

from svit import run_folder
from svit.config import load_config
from svit.engine.launch import launch_job
from svit.engine.output_dir import clear_previous_run, previous_run

REPO = Path(__file__).resolve().parents[2]


def _files(folder: str) -> set[str]:
    found = set()
    for root, _, names in os.walk(folder):
        for name in names:
            found.add(os.path.relpath(os.path.join(root, name), folder))
    return found


def test_every_file_a_run_writes_is_in_the_layout_and_overwrite_removes_it(tmp_path):
    """A train + test run with TensorBoard and the epoch plot: each file it leaves is a name of the
    layout; the overwrite of a fresh run deletes all of them but config.yaml (rewritten by the next run)."""
    out = str(tmp_path / "run")
    opts = engine_toy.toy_opts(out, **{"SOLVER.MAX_EPOCH": 1, "TENSORBOARD.ENABLE": True, "TRAIN.PLOT_STATS": True})
    launch_job(load_config(None, opts), func=engine_toy.run_toy)
    written = _files(out)
    top = {f.split(os.sep, 1)[0] for f in written}
    known = set(run_folder.RUN_FILES) | set(run_folder.RUN_DIRS) | {
        run_folder.CONFIG_FILE, run_folder.LOG_FILE, run_folder.CHECKPOINT_SUBDIR}
    assert top <= known, f"files outside svit/run_folder.py's layout: {sorted(top - known)}"
    assert {run_folder.STATS_FILE, run_folder.TEST_RESULTS_FILE, run_folder.TB_DIR,
            run_folder.CHECKPOINT_SUBDIR} <= top  # the run did write what the check relies on
    assert os.path.relpath(run_folder.last_checkpoint(out), out) in previous_run(out)
    clear_previous_run(out)
    assert _files(out) == {run_folder.CONFIG_FILE}


def test_clear_removes_half_written_checkpoints(tmp_path):
    out = str(tmp_path)
    os.makedirs(run_folder.checkpoint_dir(out))
    temp = os.path.join(run_folder.checkpoint_dir(out), ".checkpoint_epoch_00001.pyth.host.1.abc.tmp")
    open(temp, "wb").close()
    assert run_folder.checkpoint_temps(out) == [temp]
    assert run_folder.list_checkpoints(out) == [] and run_folder.last_checkpoint(out) is None
    assert clear_previous_run(out) == [os.path.relpath(temp, out)]
    assert not os.path.exists(temp)


def _literals(path: Path) -> list[tuple[int, str]]:
    """String constants of ``path`` that are not docstrings."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_no_module_spells_a_run_file_name_itself():
    """svit/ and tools/ name OUTPUT_DIR's files through svit.run_folder, never as their own literal."""
    names = {v for k, v in vars(run_folder).items() if k.isupper() and isinstance(v, str) and k != "TMP_SUFFIX"}
    home = REPO / "svit" / "run_folder.py"
    spelled = [f"{p.relative_to(REPO)}:{line} {value!r}"
               for folder in ("svit", "tools") for p in sorted((REPO / folder).rglob("*.py")) if p != home
               for line, value in _literals(p) if value in names]
    assert not spelled, f"run-folder names spelled outside svit/run_folder.py: {spelled}"
