"""Format-independent first steps of several adapters: find the state dict inside a training
checkpoint and strip the wrapper prefixes (DataParallel/DDP ``module.``, ``torch.compile``'s
``_orig_mod.``) that trainers of every family leave on the keys.

Shared by the IBM, TSM, ImageNet, inflation and H2CN-ImageNet adapters, which live in their
families' folders; a family's own renaming starts from the bare names these return.
"""
from __future__ import annotations

from typing import Any

WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def unwrap_checkpoint(obj: Any) -> dict:
    """Returns the state dict inside a checkpoint dict (``state_dict`` / ``model_state`` /
    ``model``), or ``obj`` itself when it already is a state dict."""
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state", "model"):
            inner = obj.get(key)
            if isinstance(inner, dict) and inner:
                return inner
    return obj


def strip_prefixes(state_dict: dict, prefixes: tuple[str, ...] = WRAPPER_PREFIXES) -> dict:
    """Removes (repeatedly) wrapper prefixes such as ``module.`` from every key."""
    out = {}
    for key, value in state_dict.items():
        changed = True
        while changed:
            changed = False
            for p in prefixes:
                if key.startswith(p):
                    key = key[len(p):]
                    changed = True
        out[key] = value
    return out
