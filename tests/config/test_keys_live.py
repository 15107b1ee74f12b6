"""Every key of the config tree (the shared keys of svit/config/defaults and the sections parts declare
in their config.yaml files) is read by some code in svit/, tools/ or data_tools/.

A key that nothing reads promises an effect it does not have (a user sets it and silently gets
the default behaviour). The search runs over the code with comments and docstrings removed
(``ast.unparse``): a key counts as read when its full path appears (``cfg.AUG.NUM_SAMPLE``,
``"AUG.NUM_SAMPLE"``), or when a file that names its section also reads its leaf
(``a = cfg.AUG`` ... ``a.NUM_SAMPLE``, ``getattr(node, "NUM_SAMPLE")``). Keys of the original
configs that svit accepts without effect are not in the defaults at all: they live in
svit/config/legacy.py, the one list of inert keys.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

from svit.config import get_cfg
from svit.config.legacy import legacy_reason
from svit.config.sections import CONFIG_SECTIONS

REPO = Path(__file__).resolve().parents[2]
SEARCH_DIRS = ("svit", "tools", "data_tools")
# Python files that define or list keys rather than read them: defaults.py, legacy.py and every module
# that declares a config section in the Python form (svit.config.sections.CONFIG_SECTIONS, filled by
# get_cfg; a section declared as a yaml file is data, not searched anyway).
get_cfg()
NOT_READERS = {Path("svit/config/defaults.py"), Path("svit/config/legacy.py")} | {
    Path(*s.module.split(".")).with_suffix(".py") for s in CONFIG_SECTIONS.values() if not s.path
}


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


@lru_cache(maxsize=1)
def code_texts() -> tuple[str, ...]:
    """The code of every searched .py file, without comments and docstrings."""
    texts = []
    for d in SEARCH_DIRS:
        for path in sorted((REPO / d).rglob("*.py")):
            if path.relative_to(REPO) in NOT_READERS:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            texts.append(ast.unparse(_strip_docstrings(tree)))
    return tuple(texts)


def leaf_keys(node, prefix: str = "") -> list[str]:
    out = []
    for k, v in node.items():
        full = f"{prefix}{k}"
        out.extend(leaf_keys(v, full + ".") if isinstance(v, dict) else [full])
    return out


def is_read(key: str, texts: tuple[str, ...]) -> bool:
    parts = key.split(".")
    full = re.compile(r"\b" + re.escape(key) + r"\b")
    if len(parts) == 1:
        leaf = re.compile(r"\.{0}\b|['\"]{0}['\"]".format(re.escape(key)))
        return any(full.search(t) and (leaf.search(t) or f"cfg.{key}" in t) for t in texts)
    section = re.compile(r"\.{0}\b|['\"]{0}['\"]".format(re.escape(parts[-2])))
    leaf = re.compile(r"\.{0}\b|['\"]{0}['\"]".format(re.escape(parts[-1])))
    return any(full.search(t) or (section.search(t) and leaf.search(t)) for t in texts)


def test_search_finds_reads_and_misses():
    texts = ("x = cfg.AUG.NUM_SAMPLE", "a = cfg.MVIT\nd = a.DEPTH", "s = 'AUG.COLOR_JITTER'")
    assert is_read("AUG.NUM_SAMPLE", texts) and is_read("MVIT.DEPTH", texts)
    assert is_read("AUG.COLOR_JITTER", texts)
    assert not is_read("MVIT.EMBED_DIM", texts) and not is_read("SOLVER.BASE_LR", texts)
    # comments and docstrings do not count
    tree = ast.parse('"""cfg.AUG.RE_PROB"""\n# cfg.AUG.RE_MODE\nx = 1\n')
    text = ast.unparse(_strip_docstrings(tree))
    assert not is_read("AUG.RE_PROB", (text,)) and not is_read("AUG.RE_MODE", (text,))


def test_every_default_key_is_read_somewhere():
    keys = leaf_keys(get_cfg())
    assert len(keys) > 300
    unread = [k for k in keys if not is_read(k, code_texts())]
    assert not unread, (
        f"{len(unread)} config keys are read nowhere in {SEARCH_DIRS}: {unread}. "
        "Make them do what their comment says, or move them to svit/config/legacy.py."
    )


@pytest.mark.parametrize("key", ["TRAIN.CHECKPOINT_INFLATE", "AUG.NUM_SAMPLE", "AUG.COLOR_JITTER",
                                 "MVIT.USE_FIXED_SINCOS_POS"])
def test_keys_of_issue_8_are_live_not_legacy(key):
    assert key in leaf_keys(get_cfg()) and legacy_reason(key) is None and is_read(key, code_texts())
