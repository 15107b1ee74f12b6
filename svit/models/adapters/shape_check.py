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

from svit.checkpoint import CheckpointError


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
    _require_same_depths(state, model, report)


def _require_same_depths(state: dict[str, torch.Tensor], model: nn.Module, report: Any) -> None:
    """Same widths, other depth (UniFormer-B into -S, Swin-T into -S): every block list the file fills
    must have exactly the model's block indices."""
    for name, module in model.named_modules():
        if not isinstance(module, nn.ModuleList) or not name:
            continue
        prefix = name + "."
        have = {k[len(prefix):].split(".", 1)[0] for k in state if k.startswith(prefix)}
        if not have:
            continue  # e.g. an image model has no temporal blocks: they stay as initialised
        want = {str(i) for i in range(len(module)) if any(True for _ in module[i].parameters())}
        extra, missing = sorted(have - want, key=_num), sorted(want - have, key=_num)
        if extra or missing:
            raise CheckpointError(
                f"Checkpoint {report_path(report)} does not fit {type(model).__name__}: '{name}' holds blocks "
                f"0..{max(map(int, have))} in the file but {len(module)} in the model "
                f"(extra {[prefix + i for i in extra[:3]]}, missing {[prefix + i for i in missing[:3]]}; "
                f"wrong model depth?)."
            )


def _num(s: str) -> int:
    return int(s) if s.isdigit() else -1
