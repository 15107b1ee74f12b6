"""CLIP image-tower weights -> a Side4Video model's ``backbone.*`` (registered as ``clip``).

Reads what users have: OpenAI's TorchScript ``.pt`` archives (``svit.checkpoint.read_checkpoint``
opens them with ``torch.jit.load``), plain CLIP state dicts (open_clip uses OpenAI's ``visual.*``
names), visual-only state dicts (no ``visual.`` prefix) and EVA-CLIP's released bigE checkpoint
(``visual.patch_embed``/``blocks``...). What it does:

* floating tensors are cast to the model's dtype (OpenAI stores fp16: they become fp32, or the
  ``SIDE4VIDEO.BACKBONE_DTYPE``); integer buffers (``input_resolution``, ``context_length``,
  ``vocab_size``) are dropped;
* the unused ``visual.ln_post``/``visual.proj`` (EVA: ``norm``/``head``), the text tower and
  ``logit_scale`` are dropped; every drop is listed in ``report.dropped`` with its reason;
* the file must hold a tower's complete tensor set (``tower_keys.py``) and that
  tower (width, depth, patch, variant, and for CLIP the MLP width and ``ln_pre``; read off the
  shapes) must be the model's, else a CheckpointError naming the file and both towers; a
  positional embedding made for another crop is resampled bicubically (``report.resampled``);
* what the tensors cannot show (a CLIP tower's activation and head width) comes from the config
  (``SIDE4VIDEO.ACTIVATION`` / ``HEAD_WIDTH``, resolved in ``towers.resolve_tower_config``);
* the share of the model the file must set (``TRAIN.CHECKPOINT_MIN_LOADED``) is measured over the
  tower (``report.scope = "backbone."``): the side network always starts fresh.
"""
from __future__ import annotations

import math
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

from svit.checkpoint import CheckpointError, LoadReport
from svit.models.adapters.registry import ADAPTER_REGISTRY
from svit.models.side4video.model import Side4Video
from svit.models.side4video.towers import infer_tower_from_state, tower_prefix

_CLIP_TOWER = re.compile(
    r"^(conv1\.weight|class_embedding|positional_embedding|ln_pre\.(weight|bias)|transformer\.resblocks\.\d+\..+)$"
)
_EVA_TOWER = re.compile(r"^(patch_embed\.proj\.(weight|bias)|cls_token|pos_embed|blocks\.\d+\..+)$")
_UNUSED_VISUAL = re.compile(r"^(ln_post\.|proj$|norm\.|fc_norm\.|head\.|rope\.)")
_SIDE = re.compile(r"^(side_|transformer\.side_)")


def side4video_target(model: nn.Module, report: LoadReport, adapter: str):
    """The Side4Video model the adapter loads into; CheckpointError for any other family."""
    if not isinstance(model, Side4Video):
        raise CheckpointError(
            f"{report.path}: CHECKPOINT_TYPE '{adapter}' loads into Side4Video models, not {type(model).__name__}."
        )
    return model


def describe(d: dict) -> str:
    text = f"{d['variant']} tower width {d['width']}, {d['layers']} blocks, patch {d['patch_size']}"
    if d["variant"] == "clip":
        hidden = d.get("mlp_hidden") or 4 * d["width"]
        text += f", MLP {hidden}" if hidden != 4 * d["width"] else ""
        text += "" if d.get("ln_pre", True) else ", no ln_pre"
    return text


def model_tower(model: nn.Module) -> dict:
    bb = model.backbone
    blocks = bb.resblocks if model.variant == "clip" else bb.blocks
    out = dict(variant=model.variant, width=bb.width, layers=len(blocks), patch_size=bb.patch_size, grid=bb.grid)
    if model.variant == "clip":
        out.update(mlp_hidden=bb.mlp_hidden, ln_pre=bb.has_ln_pre)
    return out


def check_tower(found: dict, model: nn.Module, path: str) -> None:
    """CheckpointError naming ``path`` when the file's tower differs from the built one (for CLIP
    also the MLP width and whether it has ``ln_pre``: CLIPA towers have none)."""
    own = model_tower(model)
    keys = ["variant", "width", "layers", "patch_size"]
    found = dict(found)
    if own["variant"] == "clip" and found["variant"] == "clip":
        found["mlp_hidden"] = found.get("mlp_hidden") or 4 * found["width"]
        keys += ["mlp_hidden", "ln_pre"]
    if any(found[k] != own[k] for k in keys):
        raise CheckpointError(
            f"{path}: its image tower is a {describe(found)}, but the model was built with a {describe(own)} "
            "(SIDE4VIDEO.TOWER/WIDTH/DEPTH/PATCH_SIZE/MLP_HIDDEN/LN_PRE; TOWER 'auto' reads the tower off the file)."
        )


def tower_key(key: str, prefix: str, variant: str) -> str | None:
    """Our name of a tower tensor (``visual.transformer.resblocks.3.ln_1.weight`` ->
    ``backbone.resblocks.3.ln_1.weight``), or None when ``key`` is not a tower weight."""
    if not key.startswith(prefix):
        return None
    leaf = key[len(prefix):]
    if not (_CLIP_TOWER if variant == "clip" else _EVA_TOWER).match(leaf):
        return None
    return "backbone." + leaf.replace("transformer.resblocks.", "resblocks.", 1)


def drop_reason(key: str, prefix: str) -> str:
    """Why a file key that is not a tower weight is left out."""
    if prefix and not key.startswith(prefix):
        return "text tower / logit scale: unused for recognition"
    leaf = key[len(prefix):]
    if _SIDE.match(leaf) or key.startswith("fc."):
        return "Side4Video side/head weight: load the file with CHECKPOINT_TYPE side4video"
    if _UNUSED_VISUAL.match(leaf):
        return "final ln_post/proj (EVA: norm/head) of the image tower: unused by Side4Video"
    return "not a weight of the image tower"


def resample_pos(pos: torch.Tensor, grid: int, key: str, report: LoadReport) -> torch.Tensor:
    """[CLS; grid x grid] position table resampled bicubically to the model's grid."""
    shape = tuple(pos.shape)
    flat = pos.reshape(-1, pos.shape[-1])
    old = math.isqrt(flat.shape[0] - 1)
    if old == grid:
        return pos
    patches = flat[1:].float().reshape(1, old, old, -1).permute(0, 3, 1, 2)
    patches = F.interpolate(patches, size=(grid, grid), mode="bicubic", align_corners=False)
    out = torch.cat([flat[:1].float(), patches.permute(0, 2, 3, 1).reshape(grid * grid, -1)]).to(pos.dtype)
    out = out.reshape(*shape[:-2], grid * grid + 1, shape[-1])
    report.resampled.append((key, shape, tuple(out.shape)))
    return out


def adapt_tower(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> tuple[dict, dict]:
    """(our tower tensors, the keys this did not use) after checking the tower fits ``model``."""
    found = infer_tower_from_state(state, report.path, report.checkpoint)
    check_tower(found, model, report.path)
    prefix = tower_prefix(state, "conv1.weight" if found["variant"] == "clip" else "patch_embed.proj.weight")
    own = model.state_dict()
    grid = model.backbone.grid
    out, rest = {}, {}
    for k, v in state.items():
        new = tower_key(k, prefix, found["variant"])
        if new is None:
            rest[k] = v
            continue
        if not v.is_floating_point():
            report.dropped.append((k, "integer tensor, not a weight"))
            continue
        if new in own:
            v = v.to(own[new].dtype)
        if new.endswith(("positional_embedding", "pos_embed")):
            v = resample_pos(v, grid, new, report)
        out[new] = v
    return out, rest


@ADAPTER_REGISTRY.register("clip")
def adapt_clip(state: dict[str, torch.Tensor], model: nn.Module, report: LoadReport) -> dict[str, torch.Tensor]:
    """CLIP / EVA-CLIP weights -> ``backbone.*``; everything else dropped with a reason."""
    net = side4video_target(model, report, "clip")
    report.scope = "backbone."  # a tower file fills the tower; the side network starts fresh
    out, rest = adapt_tower(state, net, report)
    prefix = tower_prefix(state, "conv1.weight" if net.variant == "clip" else "patch_embed.proj.weight") or ""
    for k, v in rest.items():
        reason = "integer buffer, not a weight" if not v.is_floating_point() else drop_reason(k, prefix)
        report.dropped.append((k, reason))
    return out
