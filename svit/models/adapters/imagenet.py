"""Checkpoint adapter ``imagenet``: a 2D ImageNet state dict (torchvision/timm names) -> a 2D video model.

The 2D CNN video models (TSN, TSM, TAM, IBM2D) keep torchvision's parameter names, so the
conversion is: unwrap, strip wrapper prefixes, drop the ImageNet classifier (``fc``) and
GoogLeNet's auxiliary heads (recorded in ``report.dropped``). Loading stays non-strict because the
temporal modules (TAM) are new, but a tensor whose shape differs from the model's (a ResNet of
another depth or width) raises instead of being skipped: a half-loaded backbone is never silent.
Selected by the CNN builders' ``init_checkpoints`` for ``CNN.IMAGENET_WEIGHTS``. It stays in the
shared package because its two steps (drop the heads, refuse another depth/width) also serve the
CNN inflation adapters (svit/models/cnn/inflate.py) and H2CN's ``h2cn_imagenet``.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.models.adapters.unwrap import strip_prefixes, unwrap_checkpoint

# 2D keys never loaded: the ImageNet classifier and GoogLeNet's auxiliary classifiers.
IMAGENET_HEAD_PREFIXES = ("fc.", "aux1.", "aux2.")


def drop_imagenet_heads(state: dict[str, torch.Tensor], report: LoadReport) -> dict[str, torch.Tensor]:
    """``state`` without the ImageNet classifier/aux heads; each dropped key goes to ``report.dropped``."""
    out = {}
    for key, value in state.items():
        if key.startswith(IMAGENET_HEAD_PREFIXES):
            report.dropped.append((key, "ImageNet classifier"))
        else:
            out[key] = value
    return out


def require_same_shapes(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> None:
    """CheckpointError naming the file, the first key and both shapes when a shared key differs."""
    own = model.state_dict()
    for key, value in state.items():
        if key in own and tuple(value.shape) != tuple(own[key].shape):
            raise CheckpointError(
                f"ImageNet weights {report.path}: '{key}' has shape {tuple(value.shape)}, "
                f"{type(model).__name__} needs {tuple(own[key].shape)} (a network of another depth/width?)"
            )


@ADAPTER_REGISTRY.register("imagenet")
def adapt_imagenet(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """2D ImageNet weights -> a 2D video model's names (classifier dropped, shapes checked)."""
    sd = drop_imagenet_heads(strip_prefixes(unwrap_checkpoint(state)), report)
    require_same_shapes(sd, model, report)
    if not any(k in model.state_dict() for k in sd):
        raise CheckpointError(f"ImageNet weights {report.path}: no tensor matches a name of {type(model).__name__}")
    return sd
