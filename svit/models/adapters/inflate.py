"""Checkpoint adapters ``inflate`` / ``inflate_mean``: 2D ImageNet weights inflated into a 3D CNN.

Our 3D modules keep the 2D models' names, so inflation is name for name: every 4-D kernel gets the
temporal size of the 3D kernel (``inflate``: repeated, the IBM rule; ``inflate_mean``: repeated and
divided by the temporal size, the I3D-paper rule; see svit.models.cnn.inflate). Each inflated
kernel is recorded in ``report.resampled``; the classifier/aux heads and 2D keys the 3D model does
not have in ``report.dropped``; a shape that does not fit raises CheckpointError. For the SV-Mix
R(2+1)D (``ResNet3d(expand_2plus1d=True)``) the 2D weights are first laid out as that network
expects (svit.models.cnn.inflate_2plus1d). Chosen by ``CNN.INFLATE_RULE`` for
``CNN.IMAGENET_WEIGHTS`` of 3D models, and after ``TRAIN.CHECKPOINT_TYPE`` when
``TRAIN.CHECKPOINT_INFLATE`` is set.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.ibm import strip_prefixes, unwrap_checkpoint
from svit.models.adapters.imagenet import drop_imagenet_heads
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.models.cnn.inflate import inflate_state_dict

# CNN.INFLATE_RULE -> adapter name.
RULE_ADAPTERS = {"original": "inflate", "mean": "inflate_mean"}


def _early_stride(model: nn.Module) -> int:
    """The R(2+1)D stem's temporal stride (0 = the IBM 3x7x7 stem with temporal padding)."""
    if hasattr(model, "early_stride"):
        return int(model.early_stride)
    conv1 = getattr(model, "conv1", None)
    return int(conv1.stride[0]) if isinstance(conv1, nn.Conv3d) and conv1.padding[0] == 0 else 0


def inflate_for_model(
    state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport, rule: str
) -> dict[str, torch.Tensor]:
    """2D state dict -> tensors shaped for the 3D ``model``; fills ``report.resampled`` / ``dropped``."""
    sd = drop_imagenet_heads(strip_prefixes(unwrap_checkpoint(state)), report)
    if getattr(model, "expand_2plus1d", False):
        from svit.models.cnn.inflate_2plus1d import expand_2plus1d_state_2d

        sd = expand_2plus1d_state_2d(sd, _early_stride(model))
    own = model.state_dict()
    try:
        tensors, info = inflate_state_dict(sd, own, (), rule)
    except ValueError as e:
        raise CheckpointError(f"Cannot inflate {report.path} into {type(model).__name__}: {e}") from None
    if not tensors:
        raise CheckpointError(f"Cannot inflate {report.path}: no 2D tensor matches a name of {type(model).__name__}")
    for key in info.inflated:
        report.resampled.append((key, tuple(sd[key].shape), tuple(tensors[key].shape)))
    for key in info.unused:
        report.dropped.append((key, "no counterpart in the 3D model"))
    return tensors


@ADAPTER_REGISTRY.register("inflate")
def adapt_inflate(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """2D weights -> 3D model, kernels repeated along time (IBM rule)."""
    return inflate_for_model(state, model, report, "original")


@ADAPTER_REGISTRY.register("inflate_mean")
def adapt_inflate_mean(
    state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport
) -> dict[str, torch.Tensor]:
    """2D weights -> 3D model, kernels repeated along time and divided by its size (I3D rule)."""
    return inflate_for_model(state, model, report, "mean")
