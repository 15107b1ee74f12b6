"""Config files that are empty or hold no mapping: defaults or one ConfigError naming the file."""
from __future__ import annotations

import pytest

from svit.config import ConfigError, get_cfg, load_config


def test_empty_file_loads_the_defaults(tmp_path):
    f = tmp_path / "empty.yaml"
    f.write_text("# only a comment\n")
    assert load_config(str(f)) == get_cfg()


@pytest.mark.parametrize("content", ["just a string\n", "42\n"])
def test_scalar_file_is_a_config_error(tmp_path, content):
    f = tmp_path / "scalar.yaml"
    f.write_text(content)
    with pytest.raises(ConfigError, match=r"scalar\.yaml.*mapping"):
        load_config(str(f))


def test_empty_base_file_is_a_config_error_naming_the_child(tmp_path):
    (tmp_path / "base.yaml").write_text("")
    child = tmp_path / "child.yaml"
    child.write_text("_BASE_: base.yaml\nTRAIN:\n  BATCH_SIZE: 4\n")
    with pytest.raises(ConfigError, match=r"child\.yaml"):
        load_config(str(child))
