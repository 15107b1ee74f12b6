"""2D → 3D inflation of ImageNet weights (torchvision/timm ResNet, torchvision GoogLeNet).

Why: the IBM 3D baselines always start from ImageNet 2D weights (IBM action-recognition-pytorch, Chen et al., CVPR
2021; github.com/IBM/action-recognition-pytorch, models/inflate_from_2d_model.py). Our 3D modules keep the
2D models' parameter names, so inflation is a name-for-name copy where every 4-D conv kernel gets a
temporal axis of the 3D kernel's size:

* ``"original"`` (the IBM rule): the 2D kernel is *repeated* along time, W3D[:, :, t] = W2D.
  A clip of identical frames then gives T_k times the 2D response (the BN statistics copied
  from ImageNet are off by that factor until re-estimated).
* ``"mean"`` (I3D paper rule): the repeated kernel is divided by the temporal size, so a clip of
  identical frames gives exactly the 2D response away from the temporal borders.

Kernels of temporal size 1 (1×1×1 convs, the spatial half of separable S3D convs) are the same
under both rules; the temporal halves (``*_t``) have no 2D counterpart and keep their fresh init.
Nothing is downloaded: the weights come from a local file (``CNN.IMAGENET_WEIGHTS``) read by
``svit.checkpoint.load_checkpoint`` and converted here by the checkpoint adapters ``inflate`` /
``inflate_mean`` (chosen by ``CNN.INFLATE_RULE``, and after ``TRAIN.CHECKPOINT_TYPE`` when
``TRAIN.CHECKPOINT_INFLATE`` is set). They record every inflated kernel in ``report.resampled``,
the classifier/aux heads and 2D keys the 3D model lacks in ``report.dropped``, and raise
CheckpointError for a shape that does not fit. For the SV-Mix R(2+1)D
(``ResNet3d(expand_2plus1d=True)``) the 2D weights are first laid out as that network expects
(``inflate_2plus1d.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch.nn as nn
from torch import Tensor

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.imagenet import drop_imagenet_heads
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.models.adapters.unwrap import strip_prefixes, unwrap_checkpoint
from svit.models.cnn.inflate_2plus1d import expand_2plus1d_state_2d

INFLATE_RULES = ("original", "mean")
# Keys of the 2D state dict never inflated: classifiers and GoogLeNet's auxiliary heads.
RESNET_SKIP = ("fc",)
INCEPTION_SKIP = ("fc", "aux1", "aux2")
# CNN.INFLATE_RULE -> adapter name.
RULE_ADAPTERS = {"original": "inflate", "mean": "inflate_mean"}


@dataclass
class InflationReport:
    """What happened to every key: inflated kernels, copied tensors, skipped and unmatched keys."""

    inflated: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line with the counts and the names of the 3D tensors left at their fresh init."""
        return (
            f"inflated {len(self.inflated)} kernels, copied {len(self.copied)} tensors, "
            f"skipped {len(self.skipped)} (patterns), unused {len(self.unused)} 2D keys "
            f"{self.unused[:8]}{'...' if len(self.unused) > 8 else ''}, "
            f"{len(self.missing)} 3D keys keep their init "
            f"{self.missing[:8]}{'...' if len(self.missing) > 8 else ''}"
        )


def inflate_kernel(weight_2d: Tensor, time_size: int, rule: str = "original") -> Tensor:
    """(O, I, kh, kw) → (O, I, time_size, kh, kw): repeated along time, ÷ time_size for ``mean``."""
    if rule not in INFLATE_RULES:
        raise ValueError(f"inflate_kernel: rule must be one of {INFLATE_RULES}, got {rule!r}")
    if weight_2d.dim() != 4:
        raise ValueError(f"inflate_kernel: expected a 4-D conv kernel, got shape {tuple(weight_2d.shape)}")
    w = weight_2d.unsqueeze(2).repeat(1, 1, time_size, 1, 1)
    return w / time_size if rule == "mean" else w


def inflate_state_dict(
    state_2d: dict[str, Tensor],
    state_3d: dict[str, Tensor],
    skip_patterns: tuple[str, ...] | list[str] = RESNET_SKIP,
    rule: str = "original",
) -> tuple[dict[str, Tensor], InflationReport]:
    """Builds the tensors to load into a 3D model whose state dict (names, shapes) is ``state_3d``.

    A 2D key is skipped when it contains a skip pattern, dropped when the 3D model lacks it; a
    4-D ``weight`` is inflated to the 3D kernel's temporal size, anything else copied as is.
    Raises ``ValueError`` when a shared key's shape does not fit (e.g. weights of another depth).
    """
    if rule not in INFLATE_RULES:
        raise ValueError(f"inflate_state_dict: rule must be one of {INFLATE_RULES}, got {rule!r}")
    report = InflationReport()
    out: dict[str, Tensor] = {}
    for key, value in state_2d.items():
        if any(p in key for p in skip_patterns):
            report.skipped.append(key)
            continue
        if key not in state_3d:
            report.unused.append(key)
            continue
        target = state_3d[key]
        if value.dim() == 4 and "weight" in key and target.dim() == 5:
            new = inflate_kernel(value, target.shape[2], rule)
            report.inflated.append(key)
        else:
            new = value
            report.copied.append(key)
        if tuple(new.shape) != tuple(target.shape):
            raise ValueError(
                f"inflate: '{key}' has shape {tuple(value.shape)} in the 2D weights, which does "
                f"not fit {tuple(target.shape)} in the 3D model (wrong depth/architecture?)"
            )
        out[key] = new.to(dtype=target.dtype)
    report.missing = [k for k in state_3d if k not in out]
    return out, report


def _early_stride(model: nn.Module) -> int:
    """The R(2+1)D stem's temporal stride (0 = the IBM 3x7x7 stem with temporal padding)."""
    if hasattr(model, "early_stride"):
        return int(model.early_stride)
    conv1 = getattr(model, "conv1", None)
    return int(conv1.stride[0]) if isinstance(conv1, nn.Conv3d) and conv1.padding[0] == 0 else 0


def inflate_for_model(state: dict[str, Tensor], model: nn.Module, report: LoadReport, rule: str) -> dict[str, Tensor]:
    """2D state dict -> tensors shaped for the 3D ``model``; fills ``report.resampled`` / ``dropped``."""
    sd = drop_imagenet_heads(strip_prefixes(unwrap_checkpoint(state)), report)
    if getattr(model, "expand_2plus1d", False):
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
def adapt_inflate(state: dict[str, Tensor], model: nn.Module, report: LoadReport) -> dict[str, Tensor]:
    """2D weights -> 3D model, kernels repeated along time (IBM rule)."""
    return inflate_for_model(state, model, report, "original")


@ADAPTER_REGISTRY.register("inflate_mean")
def adapt_inflate_mean(state: dict[str, Tensor], model: nn.Module, report: LoadReport) -> dict[str, Tensor]:
    """2D weights -> 3D model, kernels repeated along time and divided by its size (I3D rule)."""
    return inflate_for_model(state, model, report, "mean")
