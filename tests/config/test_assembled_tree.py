"""The assembled defaults tree (shared keys + the sections parts declare beside their code) holds every
key of the tree as it was when all keys lived in svit/config/defaults.py: same section, value and type.

``defaults_snapshot.json`` was written from that tree before any section moved (one JSON entry per
key). Keys added since (shared keys of other features) are allowed and listed; a key that vanished or
changed its value, type or section is not.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fvcore.common.config import CfgNode

from svit.config import get_cfg
from svit.config.defaults import shared_cfg
from svit.config.errors import ConfigError
from svit.config.sections import CONFIG_SECTIONS, ConfigSection, add_sections, register_config_section

SNAPSHOT = Path(__file__).with_name("defaults_snapshot.json")


def flat_tree(node: CfgNode, prefix: str = "") -> dict[str, dict]:
    """``{"A.B": {"section", "type", "value"}}`` of every leaf, as the snapshot stores them."""
    out: dict[str, dict] = {}
    for key in node.keys():
        value, path = node[key], f"{prefix}{key}"
        if isinstance(value, CfgNode):
            out.update(flat_tree(value, path + "."))
        else:
            out[path] = {"section": path.split(".")[0] if "." in path else "", "type": type(value).__name__,
                         "value": list(value) if isinstance(value, tuple) else value}
    return out


def tree_differences(snapshot: dict[str, dict], now: dict[str, dict]) -> tuple[list[str], list[str]]:
    """(problems, keys added since the snapshot)."""
    problems = [f"{k}: missing" for k in snapshot if k not in now]
    for key, old in snapshot.items():
        new = now.get(key)
        if new is not None and new != old:
            problems.append(f"{key}: {old} -> {new}")
    return problems, sorted(set(now) - set(snapshot))


def test_assembled_tree_equals_the_snapshot_key_by_key():
    snapshot = json.loads(SNAPSHOT.read_text())
    assert len(snapshot) == 311
    problems, added = tree_differences(snapshot, flat_tree(get_cfg()))
    assert not problems, problems
    print(f"keys added since the snapshot ({len(added)}): {added}")
    assert "PLUGINS" in added and "TEST.METRICS" in added


def test_the_comparison_sees_a_changed_value_type_or_section():
    snapshot = {"MVIT.DEPTH": {"section": "MVIT", "type": "int", "value": 16}}
    assert tree_differences(snapshot, {"MVIT.DEPTH": {"section": "MVIT", "type": "float", "value": 16.0}})[0]
    assert tree_differences(snapshot, {"MVIT.DEPTH": {"section": "MVIT", "type": "int", "value": 8}})[0]
    assert tree_differences(snapshot, {"X.DEPTH": {"section": "X", "type": "int", "value": 16}})[0]
    assert tree_differences(snapshot, {**snapshot, "NEW": {"section": "", "type": "int", "value": 1}}) == ([], ["NEW"])


def test_part_sections_are_declared_beside_their_parts_not_in_defaults():
    shared = set(shared_cfg().keys())
    owners = {name: s.module for name, s in CONFIG_SECTIONS.items()}
    assert not shared & set(owners)
    for name, module in owners.items():
        assert module.startswith("svit.") and module.endswith("config") and not module.startswith("svit.config"), (
            name, module)


def test_a_section_declared_twice_or_clashing_with_a_shared_key_is_an_error():
    def first(c):
        c.A = 1

    first.__module__ = "pkg_one.config"
    register_config_section("ZZ_TEST_SECTION")(first)
    try:
        def second(c):
            c.A = 2

        second.__module__ = "pkg_two.config"
        with pytest.raises(ConfigError, match="pkg_one.config.*pkg_two.config"):
            register_config_section("ZZ_TEST_SECTION")(second)
        cfg = shared_cfg()
        assert add_sections(cfg).ZZ_TEST_SECTION.A == 1
    finally:
        CONFIG_SECTIONS.pop("ZZ_TEST_SECTION")
    CONFIG_SECTIONS["TRAIN"] = ConfigSection("TRAIN", first, "pkg_one.config")
    try:
        with pytest.raises(ConfigError, match="TRAIN.*pkg_one.config.*shared"):
            add_sections(shared_cfg())
    finally:
        CONFIG_SECTIONS.pop("TRAIN")
