"""Typed merging of yaml dicts and ``KEY VALUE`` lists into the defaults tree.

yacs' own merge raises bare KeyError/ValueError without saying which file or what was expected; this
merge names the key, the closest known keys, the expected type and the value, collects legacy keys
for a single warning, and accepts list/tuple and int/float interchangeably.
"""
from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from typing import Any, Iterable

from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError
from svit.config.legacy import MAPPED_VALUES, RENAMED_KEYS, legacy_reason

# Numeric keys that PySlowFast configs set to None to mean "off"; svit stores 0 for that.
NULLABLE_NUMBERS = {"SOLVER.CLIP_GRAD_L2NORM", "SOLVER.CLIP_GRAD_VAL"}


@dataclass
class MergeNotes:
    """What a merge accepted without applying literally, reported once as a warning."""

    ignored: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    mapped: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.ignored or self.renamed or self.mapped)

    def message(self) -> str:
        lines = ["Config keys of SViT/PySlowFast or of older svit versions were accepted without (literal) effect:"]
        for key, why in sorted(self.ignored.items()):
            lines.append(f"  ignored {key} ({why})")
        for key, targets in sorted(self.renamed.items()):
            new = "the new key" if len(targets) == 1 else "the new keys"
            lines.append(f"  deprecated {key} -> {', '.join(targets)} (renamed; the old name still loads, use {new})")
        for key, (old, new) in sorted(self.mapped.items()):
            lines.append(f"  {key}: {old!r} -> {new!r}")
        return "\n".join(lines)


def all_keys(cfg: CfgNode, prefix: str = "") -> list[str]:
    """Every leaf key of ``cfg`` as a dotted name."""
    out = []
    for k, v in cfg.items():
        name = prefix + k
        out.extend(all_keys(v, name + ".") if isinstance(v, CfgNode) else [name])
    return out


def _unknown(full_key: str, cfg_root: CfgNode, source: str) -> ConfigError:
    known = all_keys(cfg_root)
    close = difflib.get_close_matches(full_key, known, n=3, cutoff=0.5)
    if not close:  # same leaf name in another section is the usual mistake
        leaf = full_key.rsplit(".", 1)[-1]
        close = [k for k in known if k.rsplit(".", 1)[-1] == leaf][:3]
    hint = f" Closest known keys: {', '.join(close)}." if close else ""
    return ConfigError(f"Unknown config key '{full_key}' (from {source}).{hint}")


def decode_value(raw: Any) -> Any:
    """Turns strings that are Python literals ("(3, 7, 7)", "2e-4", "True") into values, like yacs."""
    if not isinstance(raw, str):
        return raw
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return raw


def _to_lists(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return [_to_lists(x) for x in v]
    return v


def coerce(full_key: str, default: Any, raw: Any, source: str) -> Any:
    """Returns ``raw`` converted to the type of ``default``; ConfigError names key, type and value."""
    value = decode_value(raw)

    def bad(expected: str) -> ConfigError:
        return ConfigError(
            f"Config key '{full_key}' (from {source}) expects {expected}, got {raw!r} "
            f"({type(value).__name__})."
        )

    if default is None:
        return _to_lists(value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad("a boolean (True/False)")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise bad("an integer")
    if isinstance(default, float):
        if value is None and full_key in NULLABLE_NUMBERS:
            return 0.0
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise bad("a number")
    if isinstance(default, str):
        if isinstance(raw, str):
            return raw  # keep "007" or "1e3" paths/names as written
        raise bad("a string")
    if isinstance(default, (list, tuple)):
        if isinstance(value, (list, tuple)):
            return _to_lists(value)
        raise bad("a list")
    if isinstance(default, CfgNode):
        raise bad("a section (mapping)")
    return value


class Merger:
    """Merges values into ``cfg`` and collects legacy notes; one instance per ``load_config``."""

    def __init__(self, cfg: CfgNode) -> None:
        self.cfg = cfg
        self.notes = MergeNotes()
        # key -> (the name it was set under, value, source): catches an old and a new name that disagree.
        self.origin: dict[str, tuple[str, Any, str]] = {}

    def set(self, full_key: str, raw: Any, source: str, as_name: str = "") -> None:
        """Sets one dotted key (or a whole sub-mapping) after checks; ``as_name`` is the old name a
        renamed key was written under."""
        if full_key in RENAMED_KEYS:
            targets = RENAMED_KEYS[full_key]
            self.notes.renamed[full_key] = targets
            for t in targets:
                self.set(t, raw, source, as_name=full_key)
            return
        parts = full_key.split(".")
        node = self.cfg
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node, CfgNode) or part not in node:
                self._missing(full_key, raw, source)
                return
            node = node[part]
        leaf = parts[-1]
        if not isinstance(node, CfgNode) or leaf not in node:
            self._missing(full_key, raw, source)
            return
        default = node[leaf]
        if isinstance(raw, dict):
            if not isinstance(default, CfgNode):
                raise ConfigError(
                    f"Config key '{full_key}' (from {source}) is a value, not a section; got {raw!r}."
                )
            self.merge_dict(raw, source, prefix=full_key + ".")
            return
        value = coerce(full_key, default, raw, source)
        if isinstance(value, str) and (full_key, value) in MAPPED_VALUES:
            new = MAPPED_VALUES[(full_key, value)]
            self.notes.mapped[full_key] = (value, new)
            if isinstance(new, dict):  # one legacy value implies several settings
                implied = dict(new)
                value = implied.pop(full_key, default)
                for other_key, other_value in implied.items():
                    self.set(other_key, other_value, source)
            else:
                value = new
        self._check_both_names(full_key, as_name or full_key, value, source)
        node[leaf] = value

    def _check_both_names(self, key: str, name: str, value: Any, source: str) -> None:
        """ConfigError when one source sets ``key`` under its old and its new name to different
        values (a silent last-wins would hide which one the user meant); a later source overrides."""
        before = self.origin.get(key)
        self.origin[key] = (name, value, source)
        if before is None or before[2] != source or before[0] == name or before[1] == value:
            return
        (old, old_value), (new, new_value) = sorted([(before[0], before[1]), (name, value)],
                                                    key=lambda nv: nv[0] == key)
        raise ConfigError(f"Config keys '{old}' (old name) and '{new}' (from {source}) set the same key to "
                          f"different values ({old_value!r} and {new_value!r}): keep only '{new}'.")

    def _missing(self, full_key: str, raw: Any, source: str) -> None:
        why = legacy_reason(full_key)
        if why is None:
            raise _unknown(full_key, self.cfg, source)
        self.notes.ignored[full_key] = why

    def merge_dict(self, data: dict, source: str, prefix: str = "") -> None:
        """Merges a (nested) yaml mapping."""
        for k, v in data.items():
            if not isinstance(k, str):
                raise ConfigError(f"Config key {prefix}{k!r} (from {source}) is not a string.")
            self.set(prefix + k, v, source)

    def merge_list(self, opts: Iterable[str], source: str = "command line") -> None:
        """Merges ``[KEY, VALUE, KEY, VALUE, ...]``."""
        opts = list(opts)
        if len(opts) % 2:
            raise ConfigError(
                f"Command-line overrides must be KEY VALUE pairs; '{opts[-1]}' has no value."
            )
        for key, value in zip(opts[0::2], opts[1::2]):
            if key.startswith("-"):
                raise ConfigError(f"Unexpected option '{key}' among KEY VALUE overrides.")
            self.set(key, value, source)
