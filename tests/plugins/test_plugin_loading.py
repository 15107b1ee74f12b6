"""PLUGINS is read from the raw yaml and command line before the tree exists (the command line wins),
and a bad entry is a ConfigError naming it."""
from __future__ import annotations

import pytest

from svit.config import ConfigError, get_cfg
from svit.config.parts import plugins_of, section_files


def test_plugins_come_from_the_yaml_and_the_command_line_wins():
    assert plugins_of({"PLUGINS": ["a.b"]}) == ["a.b"]
    assert plugins_of({"PLUGINS": ["a.b"]}, ["TRAIN.ENABLE", "False", "PLUGINS", "['c', 'd']"]) == ["c", "d"]
    assert plugins_of({}, ["PLUGINS", "single.module"]) == ["single.module"]
    assert plugins_of({}) == []
    with pytest.raises(ConfigError, match="PLUGINS must be a list"):
        plugins_of({"PLUGINS": 3})


def test_a_missing_plugin_module_names_itself_and_its_source():
    with pytest.raises(ConfigError, match="'no_such_module_xyz' \\(from PLUGINS\\)"):
        get_cfg(["no_such_module_xyz"])


def test_section_files_are_found_by_name():
    files = section_files(".yaml")
    assert "svit/models/mvit/config.yaml" in files and "svit/engine/tasks/svit_cotrain_config.yaml" in files
    assert not any(f.startswith("svit/config/") for f in files)
