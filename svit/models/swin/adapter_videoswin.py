"""Checkpoint adapter ``videoswin``: official Video Swin checkpoints and ImageNet Swin (2D) weights.

``SwinTransformer/Video-Swin-Transformer`` releases mmaction ``Recognizer3D`` state dicts: the
backbone under ``backbone.`` (names as ours) and the I3D head as ``cls_head.fc_cls``. Microsoft's
ImageNet Swin releases (``{"model": ...}``, same block names, 2D patch kernel, ``attn_mask`` buffers,
a 1000/21841-class ``head``) are recognised by their 4-D patch kernel and inflated: the kernel is
repeated over the temporal patch and divided by it (the official ``inflate_weights``) and the
ImageNet classifier is dropped. Relative-position tables of another window (8x7x7 -> 4x7x7, or the
2D 7x7 table) are resized by the model's ``adapt_checkpoint_state`` hook, which runs next and also
refuses a checkpoint of another size.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY

_HEAD_PREFIX = "cls_head.fc_cls."


def _rename(state: dict[str, torch.Tensor], report: LoadReport) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        if key.startswith("backbone."):
            out[key[len("backbone."):]] = value
        elif key.startswith(_HEAD_PREFIX):
            out["head." + key[len(_HEAD_PREFIX):]] = value
        elif key.startswith("cls_head."):
            report.dropped.append((key, "mmaction head part without a counterpart"))
        else:
            out[key] = value
    return out


@ADAPTER_REGISTRY.register("videoswin")
def adapt_videoswin(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """Video Swin (mmaction names) or ImageNet Swin 2D state dict -> our VideoSwin names."""
    sd = _rename(state, report)
    kernel = sd.get("patch_embed.proj.weight")
    own = model.state_dict().get("patch_embed.proj.weight")
    if kernel is None or own is None or not any(k.startswith("layers.") for k in sd):
        raise CheckpointError(
            f"{report.path} is not a (Video) Swin checkpoint for {type(model).__name__}: no 'patch_embed.proj.weight' "
            f"and 'layers.*' (after stripping 'backbone.'); keys start {sorted(sd)[:3]}"
        )
    if kernel.ndim == 4 and own.ndim == 5:
        pt = own.shape[2]
        sd["patch_embed.proj.weight"] = kernel.unsqueeze(2).repeat(1, 1, pt, 1, 1) / pt
        report.resampled.append(("patch_embed.proj.weight", tuple(kernel.shape), tuple(own.shape)))
        for key in [k for k in sd if k.startswith("head.")]:
            report.dropped.append((key, "ImageNet classifier"))
            del sd[key]
    return sd
