"""Config sections declared beside the parts that read them, and key choices owned by registries.

A part (a model family, a task, a hook, a data source) writes its keys in a small ``config.py`` next
to its code::

    @register_config_section("MVIT")
    def mvit_section(c: CfgNode) -> None:
        # Pooling operator of the attention pooling: conv, max, avg.
        c.MODE = "conv"

``svit.config.get_cfg`` builds the tree from the shared keys of ``defaults.py`` plus every registered
section (PySlowFast's ``add_custom_config``, detectron2's ``add_<project>_config``), so a plugin's
section exists before a yaml naming its keys is merged. Keys whose allowed values are the names of a
registry (``DATA.DECODING_BACKEND``, ``TEST.PROTOCOL``) are checked against that registry, registered
here by the module that owns it, instead of a second hand-kept list in ``validate.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Collection

from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError


@dataclass(frozen=True)
class ConfigSection:
    """One top-level section: its name, the function filling it and the module declaring it."""

    name: str
    add: Callable[[CfgNode], None]
    module: str


CONFIG_SECTIONS: dict[str, ConfigSection] = {}
# Dotted key -> (the live collection of names it may take: a registry or its dict, further values).
KEY_CHOICES: dict[str, tuple[Collection[str], tuple[str, ...]]] = {}


def register_config_section(name: str) -> Callable[[Callable[[CfgNode], None]], Callable[[CfgNode], None]]:
    """Decorator registering ``fn(node)`` as the filler of top-level section ``name``."""

    def deco(fn: Callable[[CfgNode], None]) -> Callable[[CfgNode], None]:
        old = CONFIG_SECTIONS.get(name)
        if old is not None and old.module != fn.__module__:  # a re-imported module may register again
            raise ConfigError(
                f"Config section '{name}' is declared twice: by {old.module} and by {fn.__module__}."
            )
        CONFIG_SECTIONS[name] = ConfigSection(name, fn, fn.__module__)
        return fn

    return deco


def add_sections(cfg: CfgNode) -> CfgNode:
    """Adds every registered section to ``cfg`` (the shared tree); a clash with a shared key is an error."""
    for section in CONFIG_SECTIONS.values():
        if section.name in cfg:
            raise ConfigError(
                f"Config section '{section.name}' of {section.module} clashes with a shared key of "
                "svit/config/defaults.py."
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
