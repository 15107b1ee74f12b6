"""Rebuilds the weights of the CNN/H2CN reference fixtures from their key lists.

The fixtures store only ``keys`` ([name, shape, dtype]); the original's weights follow a fixed
sin-based rule (shared/fixtures/README.md), reproduced here so tests can load them into our
models through the checkpoint adapters.
"""
from __future__ import annotations

import math

import torch


def _dtype(name: str) -> torch.dtype:
    name = str(name).replace("torch.", "")
    return getattr(torch, name)


def _base(n: int, i: int, rule: str) -> torch.Tensor:
    """Rule A: sin(0.37k + 1.3i). Rule B (SV-Mix fixtures, ``*_ruleB`` tensors) adds 0.7*(k*k mod 1009),
    which breaks the rank-2 structure of rule A so that networks depend on their input."""
    k = torch.arange(n, dtype=torch.int64)
    phase = 0.37 * k.to(torch.float64) + 1.3 * i
    if rule == "B":
        phase = phase + 0.7 * ((k * k) % 1009).to(torch.float64)
    elif rule != "A":
        raise ValueError(f"unknown fixture weight rule {rule!r} (A or B)")
    return torch.sin(phase)


def fixture_state_dict(keys: list, rule: str = "A") -> dict[str, torch.Tensor]:
    """Returns the original-format state dict described by a fixture's ``keys`` list (``rule`` A or B;
    integer entries are zeros: drop them before loading)."""
    out: dict[str, torch.Tensor] = {}
    for i, (name, shape, dtype) in enumerate(sorted(keys, key=lambda k: k[0])):
        shape = tuple(int(s) for s in shape)
        dt = _dtype(dtype)
        n = math.prod(shape) if shape else 1
        if not dt.is_floating_point:
            out[name] = torch.zeros(shape, dtype=dt)
            continue
        base = _base(n, i, rule).reshape(shape)
        if name.endswith("running_var"):
            t = 1 + 0.5 * base.abs()
        elif len(shape) == 1 and name.endswith("weight"):
            t = 1 + 0.1 * base
        elif len(shape) <= 1:
            t = 0.1 * base
        else:
            t = base / math.sqrt(n / shape[0])
        out[name] = t.to(dt)
    return out
