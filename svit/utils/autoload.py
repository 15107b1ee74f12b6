"""Imports every module of a package so that their ``@REGISTRY.register`` decorators run.

Families add files, never import lines: a new model file under ``svit/models/`` is registered as
soon as ``svit.models`` is imported.
"""
from __future__ import annotations

import importlib
import pkgutil


def import_submodules(package_name: str) -> None:
    """Recursively imports all modules below ``package_name`` (skipping private ``_*`` modules)."""
    package = importlib.import_module(package_name)
    for info in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("_"):
            continue
        importlib.import_module(info.name)
