"""Config sections declared beside the parts that read them, and key choices owned by registries.

A part (a model family, a task, a hook, a data source) writes its keys as data, in a commented yaml
file next to its code (``config.yaml``, or ``<part>_config.yaml`` where a folder holds several parts;
read by ``svit.config.key_file``: every key has its documentation in the comment lines above it)::

    # The MVIT section: the MViTv2 backbone (svit/models/mvit/model.py).
    MVIT:
      # Pooling operator of the attention pooling: conv, max, avg.
      MODE: "conv"

``svit.config.parts`` registers svit's own files by name; a plugin registers its file with one line,
``register_config_yaml(Path(__file__).with_name("config.yaml"))``. A section whose values must be
computed keeps the Python form, ``@register_config_section("NAME")`` on ``fn(node)`` setting
``node.KEY = value`` with a comment above each line.

``svit.config.get_cfg`` builds the tree from the shared keys (``svit/config/defaults.yaml``) plus every
registered section (PySlowFast's ``add_custom_config``, detectron2's ``add_<project>_config``), so a
plugin's section exists before a yaml naming its keys is merged. Keys whose allowed values are the names of a
registry (``DATA.DECODING_BACKEND``, ``TEST.PROTOCOL``) are checked against that registry, registered
here by the module that owns it, instead of a second hand-kept list in ``validate.py``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection

from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError
from svit.config.key_file import read_key_file


@dataclass(frozen=True)
class ConfigSection:
    """One top-level section: its name, the function filling it and the module declaring it (for a yaml
    file, its dotted name without the suffix, e.g. ``svit.models.vivit.config``, and ``path`` the file)."""

    name: str
    add: Callable[[CfgNode], None]
    module: str
    path: str = ""


CONFIG_SECTIONS: dict[str, ConfigSection] = {}
# Dotted key -> (the live collection of names it may take: a registry or its dict, further values).
KEY_CHOICES: dict[str, tuple[Collection[str], tuple[str, ...]]] = {}


def _register(section: ConfigSection) -> None:
    """Adds ``section``; the same name from another module is an error (a re-import registers again)."""
    old = CONFIG_SECTIONS.get(section.name)
    if old is not None and old.module != section.module:
        raise ConfigError(
            f"Config section '{section.name}' is declared twice: by {old.module} and by {section.module}."
        )
    CONFIG_SECTIONS[section.name] = section


def register_config_section(name: str) -> Callable[[Callable[[CfgNode], None]], Callable[[CfgNode], None]]:
    """Decorator registering ``fn(node)`` as the filler of top-level section ``name`` (computed values)."""

    def deco(fn: Callable[[CfgNode], None]) -> Callable[[CfgNode], None]:
        _register(ConfigSection(name, fn, fn.__module__))
        return fn

    return deco


def register_config_yaml(path: str | os.PathLike) -> list[str]:
    """Registers every top-level section of the commented yaml file ``path``; returns their names.

    The file is read once, here: a key without its comment or a malformed file fails at registration,
    naming the file and the key."""
    tree, module = read_key_file(path), dotted_name(path)
    for name, node in tree.items():
        if not isinstance(node, CfgNode):
            raise ConfigError(f"{os.fspath(path)}: top-level key {name} must be a section (a mapping of keys); "
                              "run-wide keys are shared ones (svit/config/defaults.yaml).")
    for name, node in tree.items():
        _register(ConfigSection(name, _filler(node), module, os.fspath(path)))
    return list(tree)


def _filler(node: CfgNode) -> Callable[[CfgNode], None]:
    """``add(c)`` filling a fresh node with a copy of ``node``'s keys (each tree owns its lists)."""

    def add(c: CfgNode) -> None:
        c.update(node.clone())

    return add


def dotted_name(path: str | os.PathLike) -> str:
    """``svit/models/vivit/config.yaml`` -> ``svit.models.vivit.config``: the file's package (the folders
    above it holding an ``__init__.py``) and its stem."""
    path = Path(path).resolve()
    parts, folder = [path.stem], path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def add_sections(cfg: CfgNode) -> CfgNode:
    """Adds every registered section to ``cfg`` (the shared tree); a clash with a shared key is an error."""
    for section in CONFIG_SECTIONS.values():
        if section.name in cfg:
            raise ConfigError(
                f"Config section '{section.name}' of {section.module} clashes with a shared key of "
                "svit/config/defaults.yaml."
            )
        node = CfgNode()
        section.add(node)
        cfg[section.name] = node
    return cfg


def section_owner(name: str) -> str | None:
    """The module that declares top-level section ``name`` (None for the shared sections)."""
    section = CONFIG_SECTIONS.get(name)
    return section.module if section else None


def register_key_choices(key: str, names: Collection[str], also: tuple[str, ...] = ()) -> None:
    """Says that config ``key`` (or each entry of a list key) must be one of ``names`` or ``also``;
    ``names`` is kept by reference, so names registered later (plugins) count."""
    KEY_CHOICES[key] = (names, tuple(also))


def check_key_choices(cfg: CfgNode) -> None:
    """ConfigError naming the key, the value and the registered names for a value no registry has."""
    for key, (names, also) in KEY_CHOICES.items():
        node = cfg
        for part in key.split("."):
            node = node[part]
        for value in node if isinstance(node, (list, tuple)) else [node]:
            if value not in names and value not in also:
                allowed = sorted(set(names) | set(also))
                raise ConfigError(f"{key} must be one of {allowed}, got {value!r}.")


def uses_config_sections(*names: str) -> Callable[[Callable], Callable]:
    """Decorator on a model builder naming the sections it reads (the resume check compares them)."""

    def deco(builder: Callable) -> Callable:
        builder.config_sections = tuple(names)  # type: ignore[attr-defined]
        return builder

    return deco
