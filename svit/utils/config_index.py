"""A cache of what each config builds (model, classes, frames, parameter count) for ``tools/list.py``.

Listing ~200 configs means loading each one and building its model: tens of seconds, most of them
importing torch and the model zoo. The answers only change when a config file (or a file it inherits
through ``_BASE_``) or the package's code changes, so they are cached under a key made of both: the
bytes of the config's ``_BASE_`` chain and a fingerprint of the package's ``.py`` and ``.yaml`` files
(the code and the default keys; path, size, modification time). A listing whose configs are all
cached reads yaml headers and one JSON file, and imports neither torch nor the config system. Errors
are never cached (they may come from the environment). The file is ``$SVIT_CACHE/list_configs.json``
(default ``~/.cache/svit``).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import yaml

from svit.utils.atomic import atomic_write_text

PACKAGE = Path(__file__).resolve().parents[1]
MAX_ENTRIES = 5000
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


def cache_path() -> Path:
    base = os.environ.get("SVIT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "svit")
    return Path(base) / "list_configs.json"


def yaml_chain(path: str | os.PathLike) -> list[Path]:
    """The config file and the files it inherits through ``_BASE_`` (fvcore's rules: relative to the
    file's folder unless absolute or ``~``), the file first. A cycle or unreadable file ends the chain
    (loading the config reports it)."""
    chain: list[Path] = []
    current: Path | None = Path(path).resolve()
    while current is not None and current not in chain:
        chain.append(current)
        try:
            data = yaml.load(current.read_text(), Loader=_Loader)
        except (OSError, yaml.YAMLError):
            break
        base = data.get("_BASE_") if isinstance(data, dict) else None
        if not isinstance(base, str) or not base:
            break
        base = os.path.expanduser(base)
        current = Path(base if os.path.isabs(base) else current.parent / base).resolve()
    return chain


def code_fingerprint(package: Path = PACKAGE) -> str:
    """Changes whenever a ``.py`` or ``.yaml`` file (code, config keys and defaults) of the package is
    added, removed or modified."""
    h = hashlib.sha256()
    for f in sorted([*package.rglob("*.py"), *package.rglob("*.yaml")]):
        st = f.stat()
        h.update(f"{f.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def config_key(path: str | os.PathLike) -> str:
    """Content hash of the config's ``_BASE_`` chain (file names and bytes)."""
    h = hashlib.sha256()
    for f in yaml_chain(path):
        h.update(str(f).encode() + b"\0")
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()


class ConfigIndexCache:
    """Rows by config key for the current code fingerprint; ``save`` writes atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_path()
        self.code = code_fingerprint()
        self.rows: dict[str, dict[str, Any]] = {}
        self.changed = False
        try:
            data = json.loads(self.path.read_text())
            if data.get("code") == self.code:
                self.rows = dict(data.get("rows", {}))
        except (OSError, ValueError, AttributeError):  # no cache yet, or a damaged one: start afresh
            pass

    def get(self, key: str) -> dict[str, Any] | None:
        row = self.rows.get(key)
        return dict(row) if row is not None else None

    def put(self, key: str, row: dict[str, Any]) -> None:
        self.rows[key] = dict(row)
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return

        rows = dict(list(self.rows.items())[-MAX_ENTRIES:])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(str(self.path), json.dumps({"code": self.code, "rows": rows}))
        except OSError:  # a read-only home: listing still works, just uncached
            pass
