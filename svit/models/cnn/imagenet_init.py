"""Initialising 2D video backbones from local ImageNet state dicts (no download).

The 2D models keep torchvision's parameter names, so a torchvision/timm ResNet or GoogLeNet
state dict loads directly once the classifier (``fc``) and GoogLeNet's auxiliary heads are
removed. Loading is non-strict because the temporal modules (TAM) are new; what did not load is
returned and logged so a wrong file cannot go unnoticed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from svit.models.adapters.ibm import strip_prefixes, unwrap_checkpoint

logger = logging.getLogger(__name__)

DEFAULT_SKIP = ("fc.", "aux1.", "aux2.")


@dataclass
class InitReport:
    """Keys of the model that kept their fresh init, and file keys that were not used."""

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def load_imagenet_2d(model: nn.Module, path: str, skip: tuple[str, ...] = DEFAULT_SKIP) -> InitReport:
    """Loads the 2D ImageNet state dict at ``path`` into ``model`` (non-strict, ``skip`` prefixes
    dropped); shape mismatches raise. Returns what was loaded/missing/unexpected/skipped."""
    raw = torch.load(path, map_location="cpu", weights_only=True)
    sd = strip_prefixes(unwrap_checkpoint(raw))
    skipped = [k for k in sd if k.startswith(skip)]
    sd = {k: v for k, v in sd.items() if not k.startswith(skip)}
    result = model.load_state_dict(sd, strict=False)
    report = InitReport(
        loaded=[k for k in sd if k not in set(result.unexpected_keys)],
        missing=list(result.missing_keys),
        unexpected=list(result.unexpected_keys),
        skipped=skipped,
    )
    logger.info(
        "ImageNet init from %s: %d tensors loaded, %d skipped (%s), missing %s, unexpected %s",
        path, len(report.loaded), len(skipped), ", ".join(skip), report.missing, report.unexpected,
    )
    return report
