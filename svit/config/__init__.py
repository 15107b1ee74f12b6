"""Config API: ``get_cfg()`` (the defaults) and ``load_config(cfg_file, opts)`` (yaml + overrides).

Order of precedence: defaults < yaml (with fvcore ``_BASE_`` inheritance) < command line. The
defaults are the shared keys of ``defaults.yaml`` plus the sections the parts declare beside their code
(``svit.config.sections``); modules in ``PLUGINS`` are imported first (``svit.config.parts``).
"""
from __future__ import annotations

import os
import warnings
from typing import Sequence

import yaml
from fvcore.common.config import CfgNode

from svit.config.assemble import get_cfg
from svit.config.errors import ConfigError, LegacyConfigWarning
from svit.config.merge import Merger
from svit.config.parts import plugins_of
from svit.config.validate import validate_config, validate_world_size


def read_yaml(cfg_file: str) -> dict:
    """Reads a yaml config (resolving ``_BASE_``); every failure is a ConfigError naming the file."""
    if not os.path.isfile(cfg_file):
        raise ConfigError(f"Config file not found: {cfg_file}")
    if not os.access(cfg_file, os.R_OK):
        raise ConfigError(f"Config file is not readable: {cfg_file}")
    try:
        # fvcore's loader dies with a TypeError on an empty or non-mapping file: check it first.
        with open(cfg_file, encoding="utf-8") as f:
            top = yaml.safe_load(f)
        if top is None:
            return {}
        if not isinstance(top, dict):
            raise ConfigError(f"Config file {cfg_file} must hold a mapping of keys, got {type(top).__name__}.")
        data = CfgNode.load_yaml_with_base(cfg_file, allow_unsafe=False)
    except TypeError as e:  # an empty or non-mapping _BASE_ file
        raise ConfigError(f"A _BASE_ file of {cfg_file} is empty or not a mapping: {e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"Bad YAML in config file {cfg_file}: {e}") from None
    except (OSError, AssertionError) as e:  # unreadable file or a missing _BASE_
        raise ConfigError(f"Cannot read config file {cfg_file} (or its _BASE_): {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"Config file {cfg_file} is not UTF-8 text: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {cfg_file} must hold a mapping of keys, got {type(data).__name__}.")
    return data


def load_config(cfg_file: str | None = None, opts: Sequence[str] | None = None) -> CfgNode:
    """Returns defaults merged with ``cfg_file`` and then ``opts`` (``[KEY, VALUE, ...]``), validated.

    Keys inherited from SViT/PySlowFast that do nothing here produce one ``LegacyConfigWarning``.
    """
    data = read_yaml(cfg_file) if cfg_file else {}
    # PLUGINS are imported before the tree exists, so the sections they declare can be merged.
    cfg = get_cfg(plugins_of(data, opts or ()))
    merger = Merger(cfg)
    if cfg_file:
        merger.merge_dict(data, source=str(cfg_file))
    if opts:
        merger.merge_list(opts)
    if not merger.notes.empty():
        warnings.warn(merger.notes.message(), LegacyConfigWarning, stacklevel=2)
    validate_config(cfg)
    return cfg


def cfg_to_yaml(cfg: CfgNode) -> str:
    """The resolved config as yaml text (what checkpoints store under ``cfg``)."""
    return cfg.dump()


__all__ = [
    "ConfigError",
    "LegacyConfigWarning",
    "cfg_to_yaml",
    "get_cfg",
    "load_config",
    "read_yaml",
    "validate_config",
    "validate_world_size",
]
