"""Config keys declared as data (svit.config.key_file): a commented yaml file gives the values and types
a Python declaration gave, and a key without its comment or a malformed file is an error naming the
file and the key, raised when the file is read (so every key is documented where it is defined)."""
from __future__ import annotations

from pathlib import Path

import pytest
from fvcore.common.config import CfgNode

from svit.config import get_cfg
from svit.config.errors import ConfigError
from svit.config.key_file import read_key_file
from svit.config.parts import is_section_file, section_files
from svit.config.sections import CONFIG_SECTIONS, add_sections, dotted_name, register_config_yaml

GOOD = """\
# A section of a plugin.
ZZ_PART:
  # A float written as Python writes it (YAML 1.1 alone reads a string).
  LR: 1e-4
  # A negative exponent float with a dot.
  EPS: 1.0e-8
  # Multi-line documentation
  # of an integer.
  DEPTH: 12
  # A boolean.
  ON: True
  # A string.
  NAME: "{:04d}.jpg"
  # A list of lists.
  PAIRS: [[1, 2], [3, 4]]
  # An empty list.
  EMPTY: []
  # A tuple.
  SIZE: !tuple [224, 224]
  # A nested node.
  SUB:
    # Its key.
    KEY: -1.0
"""


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_values_and_types_are_those_of_a_python_declaration(tmp_path):
    node = read_key_file(write(tmp_path, GOOD)).ZZ_PART
    assert list(node) == ["LR", "EPS", "DEPTH", "ON", "NAME", "PAIRS", "EMPTY", "SIZE", "SUB"]
    got = {k: (v, type(v)) for k, v in node.items() if k != "SUB"}
    assert got == {"LR": (1e-4, float), "EPS": (1e-8, float), "DEPTH": (12, int), "ON": (True, bool),
                   "NAME": ("{:04d}.jpg", str), "PAIRS": ([[1, 2], [3, 4]], list), "EMPTY": ([], list),
                   "SIZE": ((224, 224), tuple)}
    assert isinstance(node.SUB, CfgNode) and node.SUB.KEY == -1.0 and type(node.SUB.KEY) is float


@pytest.mark.parametrize("text,needle", [
    # a key without a comment line directly above it
    ("# S.\nS:\n  A: 1\n", r"config.yaml:3: key S.A has no comment"),
    ("S:\n  # A.\n  A: 1\n", r"config.yaml:1: key S has no comment"),
    # a blank line parts the comment from the key: not "directly above"
    ("# S.\nS:\n  # A.\n\n  A: 1\n", r"config.yaml:5: key S.A has no comment"),
    # a comment after the value of the key before does not document the next key
    ("# S.\nS:\n  # A.\n  A: 1  # B.\n  B: 2\n", r"config.yaml:5: key S.B has no comment"),
    # malformed files
    ("# S.\nS:\n  # A.\n  A: [1, 2\n", r"Bad YAML in config key file .*config.yaml"),
    ("# S.\nS:\n  # A.\n  A: 1\n  # A again.\n  A: 2\n", r"config.yaml:6: key S.A is declared twice"),
    ("# S.\nS:\n  # A.\n  A: 2024-01-01\n", r"config.yaml:4: key S.A has a value of type date"),
    ("# S.\nS:\n  # A.\n  A: [{x: 1}]\n", r"config.yaml:4: key S.A has a value of type dict"),
    ("# S.\nS:\n  # A.\n  lower: 1\n", r"config.yaml:4: key S.lower must be an upper-case name"),
    ("# S.\nS: {A: 1}\n", r"config.yaml:2: section S must be written in block style"),
    ("- 1\n- 2\n", r"Config key file .*config.yaml must hold a mapping"),
    ("", r"Config key file .*config.yaml must hold a mapping"),
])
def test_a_key_without_its_comment_or_a_malformed_file_is_an_error_naming_file_line_and_key(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=needle):
        read_key_file(write(tmp_path, text))


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read config key file .*nowhere.yaml"):
        read_key_file(tmp_path / "nowhere.yaml")


def test_a_registered_yaml_file_adds_its_sections_to_the_tree(tmp_path):
    package = tmp_path / "zz_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    path = write(package, GOOD + "# A second section.\nZZ_OTHER:\n  # Its key.\n  K: 'x'\n", "zz_config.yaml")
    assert register_config_yaml(path) == ["ZZ_PART", "ZZ_OTHER"]
    try:
        assert CONFIG_SECTIONS["ZZ_PART"].module == dotted_name(path) == "zz_pkg.zz_config"
        assert CONFIG_SECTIONS["ZZ_PART"].path == str(path)
        one, two = add_sections(CfgNode()), add_sections(CfgNode())
        assert one.ZZ_PART.LR == 1e-4 and one.ZZ_OTHER.K == "x"
        one.ZZ_PART.PAIRS[0].append(9)  # each tree owns its lists
        assert two.ZZ_PART.PAIRS == [[1, 2], [3, 4]]
    finally:
        CONFIG_SECTIONS.pop("ZZ_PART")
        CONFIG_SECTIONS.pop("ZZ_OTHER")


def test_a_top_level_key_that_is_not_a_section_is_refused_before_anything_registers(tmp_path):
    path = write(tmp_path, "# A section.\nZZ_A:\n  # Key.\n  K: 1\n# A run-wide key.\nZZ_LR: 0.1\n")
    with pytest.raises(ConfigError, match=r"config.yaml: top-level key ZZ_LR must be a section"):
        register_config_yaml(path)
    assert "ZZ_A" not in CONFIG_SECTIONS


def test_every_part_section_of_svit_comes_from_a_yaml_file_beside_its_code():
    get_cfg()
    files = section_files(".yaml")
    assert len(files) >= 12
    for name, section in CONFIG_SECTIONS.items():
        if section.module.startswith("svit."):
            assert section.path and Path(section.path).is_file(), name
            assert section.module == dotted_name(section.path)


def test_a_changed_key_file_invalidates_the_config_listing_cache(tmp_path):
    """tools/list.py's cache keys on the package's files: a default changed in a yaml file counts."""
    from svit.utils.config_index import code_fingerprint

    (tmp_path / "a.py").write_text("x = 1\n")
    keys = write(tmp_path, "# S.\nS:\n  # A.\n  A: 1\n")
    before = code_fingerprint(tmp_path)
    keys.write_text("# S.\nS:\n  # A.\n  A: 22\n")
    assert code_fingerprint(tmp_path) != before


def test_section_files_are_found_by_their_name():
    """config.yaml / <part>_config.yaml are data sections, config.py / <part>_config.py computed ones."""
    assert is_section_file("config.yaml", ".yaml") and is_section_file("ssv2_config.yaml", ".yaml")
    assert is_section_file("config.py", ".py") and is_section_file("list_config.py", ".py")
    assert not is_section_file("config.yaml", ".py") and not is_section_file("_config.yaml", ".yaml")
    assert not is_section_file("myconfig.yaml", ".yaml") and not is_section_file("config_tools.py", ".py")
