"""Loads every part before the config tree is assembled: svit's own and the user's plugins.

A registered part declares its keys in a ``config.yaml`` beside its code, so the tree can only be built
after those files were registered. ``load_parts`` does, once each:

* import the packages whose import fills svit's registries (``PART_PACKAGES``);
* register every ``config.yaml`` / ``<part>_config.yaml`` below ``svit/`` (a part's section as data;
  found by name, so a new family adds a file) and import every ``config.py`` / ``<part>_config.py``
  (a section whose values are computed, ``svit.config.sections.register_config_section``);
* import the modules of the ``svit.plugins`` entry-point group of installed distributions;
* import the modules a config lists in ``PLUGINS`` (mmengine's ``custom_imports``), read from the raw yaml
  and command line before the merge, so a plugin's section exists when its keys are merged.

Modules are imported by name (``importlib``) because the config layer sits below the parts it loads.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import os
from typing import Iterable

from svit.config.errors import ConfigError
from svit.config.merge import decode_value
from svit.config.sections import register_config_yaml

# Packages whose import registers svit's parts (models, data sources, losses, tasks, hooks,
# test protocols, metrics); each autoloads its modules.
PART_PACKAGES = (
    "svit.models",
    "svit.data",
    "svit.losses",
    "svit.engine.tasks",
    "svit.engine.hooks",
    "svit.engine.protocols",
    "svit.engine.metrics",
)
ENTRY_POINT_GROUP = "svit.plugins"
SECTION_STEM = "config"  # config.yaml / config.py, or <part>_config.* where a folder holds several parts
_SVIT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_loaded: set[str] = set()


def is_section_file(name: str, suffix: str) -> bool:
    stem = name[: -len(suffix)] if name.endswith(suffix) else ""
    return stem == SECTION_STEM or (stem.endswith("_" + SECTION_STEM) and not stem.startswith("_"))


def section_files(suffix: str) -> list[str]:
    """Paths relative to the repository (``svit/...``) of every section file ending in ``suffix``
    (".yaml" or ".py") below ``svit/`` except the config package itself, in walk order."""
    found = []
    for folder, dirs, files in os.walk(_SVIT_ROOT):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        rel = os.path.relpath(folder, os.path.dirname(_SVIT_ROOT))
        if rel != os.path.join("svit", "config"):
            found += [os.path.join(rel, f) for f in sorted(files) if is_section_file(f, suffix)]
    return found


def section_modules() -> list[str]:
    """Dotted names of the Python section files (sections with computed values)."""
    return [path[:-3].replace(os.sep, ".") for path in section_files(".py")]


def import_plugin(name: str, source: str) -> None:
    """Imports module ``name`` once; a failure is a ConfigError naming the module and where it was listed."""
    if name in _loaded:
        return
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"PLUGINS entries must be importable module names, got {name!r} (from {source}).")
    try:
        importlib.import_module(name)
    except ImportError as e:
        raise ConfigError(f"Cannot import plugin module '{name}' (from {source}): {e}") from e
    _loaded.add(name)


def entry_point_modules() -> list[tuple[str, str]]:
    """``(module, distribution)`` of every ``svit.plugins`` entry point installed."""
    out = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep.dist, "name", None) or "an installed distribution"
        out.append((ep.value.split(":", 1)[0].strip(), f"entry point '{ep.name}' of {dist}"))
    return out


def load_parts(plugins: Iterable[str] = (), source: str = "PLUGINS") -> None:
    """Imports svit's parts, registers their config sections, imports the entry-point plugins, then ``plugins``."""
    for name in PART_PACKAGES + tuple(section_modules()):
        if name not in _loaded:
            importlib.import_module(name)
            _loaded.add(name)
    for path in section_files(".yaml"):
        if path not in _loaded:
            register_config_yaml(os.path.join(os.path.dirname(_SVIT_ROOT), path))
            _loaded.add(path)
    for name, where in entry_point_modules():
        import_plugin(name, where)
    for name in plugins:
        import_plugin(name, source)


def plugins_of(data: dict, opts: Iterable[str] = ()) -> list[str]:
    """The PLUGINS list of a raw yaml mapping and of ``KEY VALUE`` overrides (the last one wins),
    read before the tree exists."""
    found = data.get("PLUGINS", []) if isinstance(data, dict) else []
    opts = list(opts)
    for key, value in zip(opts[0::2], opts[1::2]):
        if key == "PLUGINS":
            found = decode_value(value)
    if isinstance(found, str):
        found = [found]
    if not isinstance(found, (list, tuple)):
        raise ConfigError(f"PLUGINS must be a list of module names, got {found!r}.")
    return [str(x) for x in found]
