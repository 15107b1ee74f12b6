"""The one exception type for bad configuration input.

The launcher catches it and prints only its message (exit code 2): a user who mistyped a key needs
the key name and a hint, not a traceback into yacs internals.
"""
from __future__ import annotations


class ConfigError(ValueError):
    """A config file, key or value is missing, unreadable or invalid; the message names which."""


class LegacyConfigWarning(UserWarning):
    """Emitted once per load when inherited PySlowFast/SViT keys are accepted but have no effect."""
