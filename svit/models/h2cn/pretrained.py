"""ImageNet initialisation of the H2CN backbone from a local torchvision ResNet state dict.

The original downloads torchvision's ``resnet50-19c8e357.pth`` at build time and loads it
non-strictly, then builds a *second* ResNet only to read its conv1 for the motion stem. Here the
file is given by path (nothing is downloaded), loaded once, and the motion stem's 9-channel kernel
is re-derived from the loaded conv1. Modules that ImageNet does not have (CMCBs, the FMCB, conv
biases of the stem and projections, the classifier) keep their own init (spec h2cn.md §4.1).
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from svit.models.h2cn.backbone import H2CNBackbone

logger = logging.getLogger(__name__)


def _read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    obj = torch.load(str(path), map_location="cpu", weights_only=True)
    for key in ("state_dict", "model", "model_state"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    return {k.removeprefix("module."): v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def load_imagenet_resnet(backbone: H2CNBackbone, path: str | Path) -> dict[str, list[str]]:
    """Copies torchvision ResNet weights (``conv1``, ``bn1``, ``layerK.*``) into ``backbone``.

    Returns ``{"loaded": [...], "kept_init": [...], "ignored": [...]}`` (our names / file names).
    Raises ``ValueError`` on a shape mismatch (e.g. a ResNet of another depth or width), because
    silently skipping those tensors would leave a mostly random network.
    """
    source = _read_state_dict(path)
    own = backbone.state_dict()
    loaded, ignored = [], []
    with torch.no_grad():
        for name, tensor in source.items():
            if name.startswith("fc.") or name not in own or name.startswith("motion."):
                ignored.append(name)
                continue
            if own[name].shape != tensor.shape:
                raise ValueError(
                    f"ImageNet weights {path}: {name} has shape {tuple(tensor.shape)}, "
                    f"the H2CN backbone expects {tuple(own[name].shape)}"
                )
            own[name].copy_(tensor)
            loaded.append(name)
    if not loaded:
        raise ValueError(f"ImageNet weights {path}: no tensor matches a torchvision ResNet name")
    backbone.motion.init_stem_from_rgb_conv(backbone.conv1.weight)
    kept = sorted(set(own) - set(loaded))
    logger.info(
        "H2CN ImageNet init from %s: %d tensors loaded, %d kept their init, %d ignored",
        path, len(loaded), len(kept), len(ignored),
    )
    return {"loaded": loaded, "kept_init": kept, "ignored": ignored}
