"""Refuses a checkpoint of the wrong size before anything is loaded (used by model hooks).

``load_checkpoint`` skips tensors whose shape differs, which is right for a classifier trained on
another class count but hides a Swin-B file loaded into Swin-S. Backbone families call
:func:`require_matching_shapes` from their ``adapt_checkpoint_state`` hook after every legitimate
resize, so the error names the file, the first offending key and both shapes.
"""
from __future__ import annotations

from typing import Any, Iterable

import torch
import torch.nn as nn


def report_path(report: Any) -> str:
    """The checkpoint file a LoadReport belongs to (``<state dict>`` without one)."""
    return getattr(report, "path", None) or "<state dict>"


def require_matching_shapes(
    state: dict[str, torch.Tensor],
    model: nn.Module,
    report: Any,
    free_prefixes: Iterable[str] = ("head.",),
) -> None:
    """CheckpointError when a key the model has arrives with another shape (keys under
    ``free_prefixes``, the classifier, may differ: the loader skips and reports them)."""
    from svit.checkpoint import CheckpointError

    own = model.state_dict()
    free = tuple(free_prefixes)
    bad = [
        (k, tuple(v.shape), tuple(own[k].shape))
        for k, v in state.items()
        if k in own and not k.startswith(free) and tuple(v.shape) != tuple(own[k].shape)
    ]
    if bad:
        key, got, want = bad[0]
        raise CheckpointError(
            f"Checkpoint {report_path(report)} does not fit {type(model).__name__}: key '{key}' has shape {got}, "
            f"the model needs {want} ({len(bad)} such keys; wrong model size or family?)."
        )
