"""Which image tower a Side4Video model has: named presets and inference from a weights file.

The builder never reads files (house rule), so a tower is either a preset name
(``SIDE4VIDEO.TOWER: ViT-B/16``), explicit dims (``TOWER: custom`` with ``WIDTH``/``LAYERS``/...),
or ``auto``: ``infer_tower_from_weights`` reads the shapes of ``SIDE4VIDEO.CLIP_WEIGHTS`` the way
OpenAI's ``build_model`` does (width from ``conv1``, patch from its kernel, layers from the block
count, grid from the positional embedding, heads = width // 64) and ``resolve_tower_config`` writes
them into the config before it is frozen (``svit.models.prepare``), so ``config.yaml`` is complete
and later phases never need the weights file.
"""
from __future__ import annotations

import logging
import math
import re
from typing import Any, Mapping

import torch
from fvcore.common.config import CfgNode

from svit.checkpoint import CheckpointError, extract_state_dict, read_checkpoint, strip_prefix

logger = logging.getLogger("svit.side4video")

# width, layers, heads, patch, MLP hidden (0 = 4 * width), variant
PRESETS: dict[str, dict[str, Any]] = {
    "ViT-B/32": dict(variant="clip", width=768, layers=12, heads=12, patch_size=32, mlp_hidden=0),
    "ViT-B/16": dict(variant="clip", width=768, layers=12, heads=12, patch_size=16, mlp_hidden=0),
    "ViT-L/14": dict(variant="clip", width=1024, layers=24, heads=16, patch_size=14, mlp_hidden=0),
    "EVA02-CLIP-bigE-14": dict(variant="eva", width=1792, layers=64, heads=16, patch_size=14, mlp_hidden=15360),
}
EVA_HEAD_WIDTH = 112  # EVA02-CLIP-bigE-14's head width (not visible in the shapes)


def tower_prefix(state: Mapping[str, torch.Tensor], leaf: str) -> str | None:
    """The prefix under which ``leaf`` (e.g. ``conv1.weight``) sits: ``visual.``, ``""`` or None."""
    for prefix in ("visual.", ""):
        if prefix + leaf in state:
            return prefix
    return None


def infer_tower_from_state(state: Mapping[str, torch.Tensor], path: str = "<state dict>") -> dict[str, Any]:
    """Tower dims from tensor shapes (OpenAI/open_clip CLIP, EVA-CLIP bigE, or a Side4Video checkpoint).

    Returns ``variant, width, layers, heads, patch_size, image_size, mlp_hidden`` and, for a
    Side4Video checkpoint, ``side_dim``. CheckpointError naming ``path`` when no tower is found.
    """
    state = strip_prefix(dict(state))
    out: dict[str, Any]
    p = tower_prefix(state, "conv1.weight")
    if p is not None:
        w = state[p + "conv1.weight"]
        block_re = re.compile(re.escape(p) + r"transformer\.resblocks\.(\d+)\.attn\.in_proj_weight$")
        layers = len({m.group(1) for k in state if (m := block_re.match(k))})
        pos = state[p + "positional_embedding"]
        out = dict(variant="clip", width=w.shape[0], layers=layers, heads=w.shape[0] // 64,
                   patch_size=w.shape[-1], mlp_hidden=0, grid_tokens=pos.shape[-2] - 1)
    elif (p := tower_prefix(state, "patch_embed.proj.weight")) is not None:
        if any(k.startswith(p + "blocks.0.mlp.w1") for k in state) or p + "rope.freqs_cos" in state:
            raise CheckpointError(
                f"{path}: EVA tower with SwiGLU/rope blocks (EVA02-CLIP-L style); Side4Video supports the "
                "EVA02-CLIP-bigE-14 tower (GELU MLP, no rope)."
            )
        w = state[p + "patch_embed.proj.weight"]
        block_re = re.compile(re.escape(p) + r"blocks\.(\d+)\.attn\.qkv\.weight$")
        layers = len({m.group(1) for k in state if (m := block_re.match(k))})
        width = w.shape[0]
        heads = width // EVA_HEAD_WIDTH if width % EVA_HEAD_WIDTH == 0 else max(1, width // 64)
        out = dict(variant="eva", width=width, layers=layers, heads=heads, patch_size=w.shape[-1],
                   mlp_hidden=state[p + "blocks.0.mlp.fc1.weight"].shape[0],
                   grid_tokens=state[p + "pos_embed"].shape[-2] - 1)
    elif any(k.startswith("visual.layer1.") or "attnpool" in k for k in state):
        raise CheckpointError(f"{path}: a ResNet CLIP tower; Side4Video needs a ViT tower.")
    else:
        raise CheckpointError(
            f"{path}: no CLIP/EVA image tower found (expected 'visual.conv1.weight' or "
            f"'visual.patch_embed.proj.weight'; first keys: {sorted(state)[:5]})."
        )
    if out["layers"] == 0:
        raise CheckpointError(f"{path}: the image tower has no transformer blocks.")
    grid = math.isqrt(out.pop("grid_tokens"))
    out["image_size"] = grid * out["patch_size"]
    for key in ("visual.side_conv1.weight", "side_conv1.weight"):
        if key in state:
            out["side_dim"] = state[key].shape[0]
    return out


def infer_tower_from_weights(path: str) -> dict[str, Any]:
    """Reads ``path`` (TorchScript archive or state dict) and returns ``infer_tower_from_state``'s dict."""
    return infer_tower_from_state(extract_state_dict(read_checkpoint(path), path), path)


def tower_dims(cfg: CfgNode) -> dict[str, Any]:
    """The tower of ``cfg.SIDE4VIDEO`` as keyword arguments (a preset, or ``custom`` dims)."""
    s = cfg.SIDE4VIDEO
    if s.TOWER == "auto":
        raise ValueError(
            "SIDE4VIDEO.TOWER is 'auto' but was not resolved from SIDE4VIDEO.CLIP_WEIGHTS: call "
            "svit.models.prepare.resolve_model_config(cfg) before building (the engine does)."
        )
    if s.TOWER == "custom":
        return dict(variant=s.VARIANT, width=s.WIDTH, layers=s.LAYERS, heads=s.HEADS,
                    patch_size=s.PATCH_SIZE, mlp_hidden=s.MLP_HIDDEN)
    if s.TOWER not in PRESETS:
        raise ValueError(f"SIDE4VIDEO.TOWER {s.TOWER!r} is unknown; use one of {sorted(PRESETS)}, 'custom' or 'auto'.")
    return dict(PRESETS[s.TOWER])


def resolve_tower_config(cfg: CfgNode) -> None:
    """``TOWER: auto`` -> ``custom`` dims read from ``CLIP_WEIGHTS`` (cfg must not be frozen).

    Also checks that the crop is a multiple of the patch. Whether a weights file fits the tower the
    config names is checked when it is loaded (the ``clip``/``side4video`` adapters).
    """
    s = cfg.SIDE4VIDEO
    if s.TOWER == "auto":
        if not s.CLIP_WEIGHTS:
            raise ValueError("SIDE4VIDEO.TOWER 'auto' needs SIDE4VIDEO.CLIP_WEIGHTS (the tower is read off it).")
        found = infer_tower_from_weights(s.CLIP_WEIGHTS)
        s.TOWER, s.VARIANT = "custom", found["variant"]
        s.WIDTH, s.LAYERS, s.HEADS = found["width"], found["layers"], found["heads"]
        s.PATCH_SIZE, s.MLP_HIDDEN = found["patch_size"], found["mlp_hidden"]
        if found["image_size"] != cfg.DATA.TRAIN_CROP_SIZE:
            logger.warning(
                "%s was trained at %d px; DATA.TRAIN_CROP_SIZE is %d: its position embedding will be resampled",
                s.CLIP_WEIGHTS, found["image_size"], cfg.DATA.TRAIN_CROP_SIZE,
            )
    dims = tower_dims(cfg)
    crop = cfg.DATA.TRAIN_CROP_SIZE
    if crop % dims["patch_size"]:
        where = f" (tower of {s.CLIP_WEIGHTS})" if s.CLIP_WEIGHTS else ""
        raise CheckpointError(
            f"DATA.TRAIN_CROP_SIZE {crop} is not a multiple of the tower's patch size {dims['patch_size']}{where}."
        )
