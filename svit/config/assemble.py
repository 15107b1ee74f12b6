"""``get_cfg``: the defaults tree = the shared keys of ``defaults.yaml`` + every registered part's section.

The user-facing key tree is the same as when every key lived in ``defaults.py``; only where each
section is declared moved (next to the part that reads it, see ``svit.config.sections``).
"""
from __future__ import annotations

from typing import Iterable

from fvcore.common.config import CfgNode

from svit.config.defaults import shared_cfg
from svit.config.parts import load_parts
from svit.config.sections import add_sections


def get_cfg(plugins: Iterable[str] = ()) -> CfgNode:
    """A fresh defaults tree, after importing svit's parts, the entry-point plugins and ``plugins``."""
    load_parts(plugins)
    return add_sections(shared_cfg())
