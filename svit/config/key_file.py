"""Reads a commented yaml file of config keys (a part's section, or the shared keys) into a CfgNode.

Key declarations are data, written as a user's yaml config writes them, with each key's
documentation in the comment lines directly above it::

    # The VIVIT section: the ViViT factorised encoder (svit/models/vivit/model.py).
    VIVIT:
      # Spatial patch size of the tubelet embedding (the crop must be a multiple).
      PATCH_SIZE: 16

A key (section or leaf) without a comment line directly above it is a ConfigError naming the file,
the line and the key, so "every key is documented where it is defined" holds by construction.
Values are read by PyYAML's safe loader with two additions that keep the types a Python declaration
gives: ``1e-4`` is a float (YAML 1.1 would read a string: it wants ``1.0e-4``), and ``!tuple [a, b]``
is a tuple. A value a CfgNode cannot hold (a date, a mapping inside a list), a repeated key or a
lower-case key is an error naming the file and the key.
"""
from __future__ import annotations

import io
import os
import re

import yaml
from fvcore.common.config import CfgNode

from svit.config.errors import ConfigError

KEY_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")  # what the command line's KEY VALUE pairs accept
_SCALARS = (str, bool, int, float, type(None))


class _KeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml if built in: 0.02 s, not 0.2, for defaults
    """The safe loader, plus exponent-only floats (``1e-4``) and ``!tuple`` sequences."""


_KeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"), list("-+0123456789")
)
_KeyLoader.add_constructor("!tuple", lambda loader, node: tuple(loader.construct_sequence(node, deep=True)))


def read_key_file(path: str | os.PathLike) -> CfgNode:
    """The keys of the yaml file ``path`` as a CfgNode (top-level keys first, sections as nodes)."""
    where = os.fspath(path)
    try:
        with open(where, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read config key file {where}: {e}") from None
    stream = io.StringIO(text)
    stream.name = where  # parse errors say 'in "<file>", line L, column C'
    loader = _KeyLoader(stream)
    try:
        root = loader.get_single_node()
        if not isinstance(root, yaml.MappingNode):
            raise ConfigError(f"Config key file {where} must hold a mapping of keys.")
        return _mapping(loader, root, text.splitlines(), where, "")
    except yaml.YAMLError as e:
        raise ConfigError(f"Bad YAML in config key file {where}: {e}") from None
    finally:
        loader.dispose()


def _mapping(loader: _KeyLoader, node: yaml.MappingNode, lines: list[str], where: str, prefix: str) -> CfgNode:
    """The CfgNode of one block mapping, checking each key's name and comment."""
    out = CfgNode()
    for key_node, value_node in node.value:
        line = key_node.start_mark.line
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None  # its text: ON is a name here
        if not isinstance(key, str) or not KEY_NAME.match(key):
            raise ConfigError(f"{where}:{line + 1}: key {prefix}{key_node.value} must be an upper-case name "
                              "(A-Z, 0-9, _).")
        name = prefix + key
        if key in out:
            raise ConfigError(f"{where}:{line + 1}: key {name} is declared twice.")
        if line == 0 or not lines[line - 1].lstrip().startswith("#"):
            raise ConfigError(f"{where}:{line + 1}: key {name} has no comment line directly above it "
                              "(its documentation).")
        if isinstance(value_node, yaml.MappingNode):
            if value_node.flow_style:
                raise ConfigError(f"{where}:{line + 1}: section {name} must be written in block style, "
                                  "one commented key a line.")
            out[key] = _mapping(loader, value_node, lines, where, name + ".")
        else:
            out[key] = _value(loader.construct_object(value_node, deep=True), where, line, name)
    return out


def _value(value: object, where: str, line: int, name: str) -> object:
    """``value`` if a CfgNode can hold it (a scalar, or lists/tuples of such), else a ConfigError."""
    if isinstance(value, (list, tuple)):
        for item in value:
            _value(item, where, line, name)
    elif not isinstance(value, _SCALARS):
        raise ConfigError(f"{where}:{line + 1}: key {name} has a value of type {type(value).__name__} "
                          f"({value!r}); config values are strings, numbers, booleans, null and lists of them.")
    return value
