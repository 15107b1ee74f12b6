"""Checkpoint adapter ``deit``: DeiT / ViT image weights in timm names -> the ViViT spatial encoder.

What SV-Mix did for its ViViT-S: the 2D patch kernel becomes the tubelet kernel (repeated over the
tubelet's frames and divided by their number), the transformer blocks, class token, position
embedding and final norm keep their names, and the ImageNet classifier is dropped. Distilled DeiT
files lose their distillation token (also its position-embedding row) and distillation head. The
temporal blocks, temporal tokens and the classifier stay as initialised. The position embedding is
resampled to the model's crop by the model's ``adapt_checkpoint_state`` hook, which also refuses
a file of another width or depth.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY

_DROP = ("head.", "head_dist.", "fc_norm.", "pre_logits.")


@ADAPTER_REGISTRY.register("deit")
def adapt_deit(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """timm DeiT/ViT state dict -> our ViViT names (spatial part)."""
    sd = {k.removeprefix("module."): v for k, v in state.items()}
    kernel = sd.get("patch_embed.proj.weight")
    if kernel is None or "blocks.0.attn.qkv.weight" not in sd:
        raise CheckpointError(
            f"{report.path} is not a DeiT/ViT checkpoint in timm names: no 'patch_embed.proj.weight' / "
            f"'blocks.0.attn.qkv.weight'; keys start {sorted(sd)[:3]}"
        )
    distilled = "dist_token" in sd
    for key in [k for k in sd if k.startswith(_DROP) or k == "dist_token"]:
        report.dropped.append((key, "image-classification part without a counterpart"))
        del sd[key]
    if distilled and "pos_embed" in sd:
        pe = sd["pos_embed"]
        sd["pos_embed"] = torch.cat([pe[:, :1], pe[:, 2:]], dim=1)
        report.resampled.append(("pos_embed", tuple(pe.shape), tuple(sd["pos_embed"].shape)))
    own = model.state_dict().get("patch_embed.proj.weight")
    if kernel.ndim == 4 and own is not None and own.ndim == 5:
        t = own.shape[2]
        sd["patch_embed.proj.weight"] = kernel.unsqueeze(2).repeat(1, 1, t, 1, 1) / t
        report.resampled.append(("patch_embed.proj.weight", tuple(kernel.shape), tuple(own.shape)))
    return sd
