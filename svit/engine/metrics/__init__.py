"""Metrics registered by name, selected by ``TEST.METRICS`` for the test phase and by
``TRAIN.EVAL_METRICS`` for validation during training (see base.py for the contract).

Every module of this package is imported here, so a new metric (multi-label mAP, per-video
statistics, ...) is a new file with ``@METRIC_REGISTRY.register("name")``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from svit.config.errors import ConfigError
from svit.config.sections import register_key_choices
from svit.engine.metrics.base import MetricInput
from svit.engine.metrics.registry import METRIC_REGISTRY
from svit.utils.autoload import import_submodules

import_submodules(__name__)
register_key_choices("TEST.METRICS", METRIC_REGISTRY)
register_key_choices("TRAIN.EVAL_METRICS", METRIC_REGISTRY)


def evaluate_metrics(names: Sequence[str], inp: MetricInput, key: str = "TEST.METRICS") -> dict[str, Any]:
    """The entries of every metric in ``names`` (config ``key``), in order; a clash of entry names is an error."""
    out: dict[str, Any] = {}
    for name in names:
        for entry, value in METRIC_REGISTRY.get(name)(inp).items():
            if entry in out:
                raise ConfigError(f"Metric '{name}' returns '{entry}', which an earlier metric of {key} returned.")
            out[entry] = value
    return out


def json_safe(entries: dict[str, Any]) -> dict[str, Any]:
    """NaN floats (a metric without labelled videos) become None: strict JSON has no NaN."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in entries.items()}


__all__ = ["METRIC_REGISTRY", "MetricInput", "evaluate_metrics", "json_safe"]
