"""Checkpoint adapter ``uniformer``: official Sense-X/UniFormer video checkpoints and ImageNet 2D weights.

The video models' names are ours (SlowFast trainers may wrap them in ``model_state`` / ``module.``,
which the loader and this adapter strip). The ImageNet models share the names with 2D kernels: each
4-D kernel the video model holds in 3-D is repeated over the model's temporal kernel size and
divided by it (the original ``inflate_weight`` without centring), recorded in ``report.resampled``;
a classifier of another class count is dropped, as the original did. A checkpoint of another size
is refused by the model's ``adapt_checkpoint_state`` hook.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY


@ADAPTER_REGISTRY.register("uniformer")
def adapt_uniformer(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """UniFormer (video or 2D ImageNet) state dict -> our UniFormer, inflating 2D kernels."""
    sd = {k.removeprefix("module.").removeprefix("backbone."): v for k, v in state.items()}
    if "patch_embed1.proj.weight" not in sd or not any(k.startswith("blocks1.") for k in sd):
        raise CheckpointError(
            f"{report.path} is not a UniFormer checkpoint: no 'patch_embed1.proj.weight' / 'blocks1.*'; "
            f"keys start {sorted(sd)[:3]}"
        )
    own = model.state_dict()
    for key, value in list(sd.items()):
        target = own.get(key)
        if target is None:
            continue
        if value.ndim == 4 and target.ndim == 5 and tuple(value.shape) == tuple(target.shape[:2] + target.shape[3:]):
            t = target.shape[2]
            sd[key] = value.unsqueeze(2).repeat(1, 1, t, 1, 1) / t
            report.resampled.append((key, tuple(value.shape), tuple(target.shape)))
        elif key.startswith("head.") and value.shape != target.shape:
            report.dropped.append((key, f"classifier for {value.shape[0]} classes, the model has {target.shape[0]}"))
            del sd[key]
    return sd
