"""Which image tower a Side4Video model has: named presets and inference from a weights file.

The builder never reads files (house rule), so a tower is either a preset name
(``SIDE4VIDEO.TOWER: ViT-B/16``), explicit dims (``TOWER: custom`` with ``WIDTH``/``DEPTH``/...),
or ``auto``: ``infer_tower_from_weights`` reads the shapes of ``SIDE4VIDEO.CLIP_WEIGHTS`` the way
OpenAI's ``build_model`` does (width from ``conv1``, patch from its kernel, layers from the block
count, grid from the positional embedding, MLP width from ``c_fc``, ``ln_pre`` present or not) and
``resolve_tower_config`` writes them into the config before it is frozen (``svit.models.prepare``),
so ``config.yaml`` is complete and later phases never need the weights file. A file is a tower only
if it holds a tower's complete tensor set (``tower_keys.check_complete``).

What the tensors cannot show: the activation and the head width. An OpenAI TorchScript archive (and
a Side4Video project checkpoint, trained from one) is QuickGELU with head width 64. An open_clip
state dict may be either activation (``ViT-B-16`` is GELU, ``ViT-B-16-quickgelu`` is not) and
ViT-H/g/bigG have head widths 80/88/104, so for such a file ``SIDE4VIDEO.ACTIVATION`` (and, with
``TOWER auto``, ``SIDE4VIDEO.HEAD_WIDTH``) must be named, else the file is refused.
"""
from __future__ import annotations

import logging
import math
from typing import Any, Mapping

import torch
from fvcore.common.config import CfgNode

from svit.checkpoint import CheckpointError, extract_state_dict, is_torchscript_archive, read_checkpoint, strip_prefix
from svit.checkpoint_files import describe_contents
from svit.models.side4video.clip_tower import ACTIVATIONS
from svit.models.side4video.tower_keys import check_complete
from svit.weights import names_torchscript_archive, resolve

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


def infer_tower_from_state(
    state: Mapping[str, torch.Tensor], path: str = "<state dict>", raw: Any = None
) -> dict[str, Any]:
    """Tower dims from tensor shapes (OpenAI/open_clip CLIP, EVA-CLIP bigE, or a Side4Video checkpoint).

    Returns ``variant, width, layers, heads, patch_size, image_size, mlp_hidden, ln_pre`` (heads at
    head width 64/112; the file cannot show it) and, for a Side4Video checkpoint, ``side_dim``.
    CheckpointError naming ``path`` and what the file is (``raw``: the whole checkpoint, whose
    ``cfg`` may name its model) when no complete tower is found.
    """
    state = strip_prefix(dict(state))
    what = describe_contents(raw if raw is not None else state, state)
    out: dict[str, Any]
    p = tower_prefix(state, "conv1.weight")
    if p is not None:
        ln_pre = p + "ln_pre.weight" in state
        layers = check_complete(state, p, "clip", ln_pre, path, what)
        w = state[p + "conv1.weight"]
        if w.ndim != 4:
            raise CheckpointError(f"{path}: 'conv1.weight' has shape {tuple(w.shape)}, not a 2D patch kernel; "
                                  f"the file is {what}.")
        hidden = state[p + "transformer.resblocks.0.mlp.c_fc.weight"].shape[0]
        pos = state[p + "positional_embedding"]
        out = dict(variant="clip", width=w.shape[0], layers=layers, heads=w.shape[0] // 64,
                   patch_size=w.shape[-1], mlp_hidden=0 if hidden == 4 * w.shape[0] else hidden,
                   ln_pre=ln_pre, grid_tokens=pos.shape[-2] - 1)
    elif (p := tower_prefix(state, "patch_embed.proj.weight")) is not None:
        if any(k.startswith(p + "blocks.0.mlp.w1") for k in state) or p + "rope.freqs_cos" in state:
            raise CheckpointError(
                f"{path}: EVA tower with SwiGLU/rope blocks (EVA02-CLIP-L style); Side4Video supports the "
                "EVA02-CLIP-bigE-14 tower (GELU MLP, no rope)."
            )
        layers = check_complete(state, p, "eva", False, path, what)
        w = state[p + "patch_embed.proj.weight"]
        if w.ndim != 4:
            raise CheckpointError(f"{path}: 'patch_embed.proj.weight' has shape {tuple(w.shape)}, not a 2D "
                                  f"patch kernel; the file is {what}.")
        width = w.shape[0]
        heads = width // EVA_HEAD_WIDTH if width % EVA_HEAD_WIDTH == 0 else max(1, width // 64)
        out = dict(variant="eva", width=width, layers=layers, heads=heads, patch_size=w.shape[-1],
                   mlp_hidden=state[p + "blocks.0.mlp.fc1.weight"].shape[0], ln_pre=False,
                   grid_tokens=state[p + "pos_embed"].shape[-2] - 1)
    elif any(k.startswith("visual.layer1.") or "attnpool" in k for k in state):
        raise CheckpointError(f"{path}: a ResNet CLIP tower; Side4Video needs a ViT tower.")
    else:
        raise CheckpointError(
            f"{path}: no CLIP/EVA image tower found (expected 'visual.conv1.weight' or "
            f"'visual.patch_embed.proj.weight'); the file is {what}, first keys {sorted(state)[:3]}."
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
    """Reads ``path`` (TorchScript archive or state dict) and returns ``infer_tower_from_state``'s dict,
    plus ``openai_archive`` (a TorchScript archive: OpenAI's own architecture)."""
    raw = read_checkpoint(path)
    found = infer_tower_from_state(extract_state_dict(raw, path), path, raw)
    found["openai_archive"] = is_torchscript_archive(str(resolve(path)))  # a name or URL: the cached file
    return found


def tower_dims(cfg: CfgNode) -> dict[str, Any]:
    """The tower of ``cfg.SIDE4VIDEO`` as keyword arguments (a preset, or ``custom`` dims, plus the
    CLIP activation and ``ln_pre``)."""
    s = cfg.SIDE4VIDEO
    if s.TOWER == "auto":
        raise ValueError(
            "SIDE4VIDEO.TOWER is 'auto' but was not resolved from SIDE4VIDEO.CLIP_WEIGHTS: call "
            "svit.models.prepare.resolve_model_config(cfg) before building (the engine does)."
        )
    if s.TOWER == "custom":
        dims = dict(variant=s.VARIANT, width=s.WIDTH, layers=s.DEPTH, heads=s.HEADS,
                    patch_size=s.PATCH_SIZE, mlp_hidden=s.MLP_HIDDEN)
    elif s.TOWER not in PRESETS:
        raise ValueError(f"SIDE4VIDEO.TOWER {s.TOWER!r} is unknown; use one of {sorted(PRESETS)}, 'custom' or 'auto'.")
    else:
        dims = dict(PRESETS[s.TOWER])
    activation = s.ACTIVATION
    if activation == "auto":
        if s.CLIP_WEIGHTS and dims["variant"] == "clip" and not names_torchscript_archive(s.CLIP_WEIGHTS):
            raise ValueError(
                "SIDE4VIDEO.ACTIVATION is 'auto' but was not resolved from SIDE4VIDEO.CLIP_WEIGHTS: call "
                "svit.models.prepare.resolve_model_config(cfg) before building (the engine does)."
            )
        activation = "quick_gelu"  # OpenAI's architecture (a random tower, or EVA, which ignores it)
    if activation not in ACTIVATIONS:
        raise ValueError(f"SIDE4VIDEO.ACTIVATION must be 'auto' or one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return dict(dims, activation=activation, ln_pre=bool(s.LN_PRE))


def _name_the_architecture(path: str, what: str) -> CheckpointError:
    return CheckpointError(
        f"{path} is an open_clip-style state dict ({what}): its activation and head width are not in the "
        "file (QuickGELU and GELU towers have the same tensors). Name them: SIDE4VIDEO.ACTIVATION quick_gelu "
        "(OpenAI-trained, open_clip '*-quickgelu' models) or gelu (open_clip 'ViT-B-16', 'ViT-L-14', 'ViT-H-14' "
        "..., e.g. the LAION-2B/DataComp tags), and with TOWER auto SIDE4VIDEO.HEAD_WIDTH (64; 80 for ViT-H-14, "
        "88 ViT-g-14, 104 ViT-bigG-14)."
    )


def _resolve_architecture(cfg: CfgNode, found: dict[str, Any] | None, auto: bool) -> None:
    """ACTIVATION (and with ``auto`` HEADS from HEAD_WIDTH) for a CLIP tower read from CLIP_WEIGHTS.

    ``found``: the file's tower (``infer_tower_from_weights``), or None when not read yet."""
    s = cfg.SIDE4VIDEO
    archive = is_torchscript_archive(s.CLIP_WEIGHTS) or names_torchscript_archive(s.CLIP_WEIGHTS)
    if found is None and (s.ACTIVATION == "auto" or auto) and not archive:
        found = infer_tower_from_weights(s.CLIP_WEIGHTS)
    openai = found is None or found.get("openai_archive") or "side_dim" in found  # OpenAI architecture
    what = "no OpenAI TorchScript archive, no Side4Video checkpoint"
    if s.ACTIVATION == "auto":
        if not openai:
            raise _name_the_architecture(s.CLIP_WEIGHTS, what)
        s.ACTIVATION = "quick_gelu"
    if auto:
        head_width = s.HEAD_WIDTH or (64 if openai else 0)
        if not head_width:
            raise _name_the_architecture(s.CLIP_WEIGHTS, what)
        if s.WIDTH % head_width:
            raise CheckpointError(
                f"SIDE4VIDEO.HEAD_WIDTH {head_width} does not divide the width {s.WIDTH} of {s.CLIP_WEIGHTS}."
            )
        s.HEADS = s.WIDTH // head_width


def resolve_tower_config(cfg: CfgNode) -> None:
    """``TOWER: auto`` -> ``custom`` dims read from ``CLIP_WEIGHTS``, and ``ACTIVATION: auto`` -> the
    activation of an OpenAI-architecture file (cfg must not be frozen).

    Also checks that the crop is a multiple of the patch. Whether a weights file fits the tower the
    config names is checked when it is loaded (the ``clip``/``side4video`` adapters).
    """
    s = cfg.SIDE4VIDEO
    found = None
    auto = s.TOWER == "auto"
    if auto:
        if not s.CLIP_WEIGHTS:
            raise ValueError("SIDE4VIDEO.TOWER 'auto' needs SIDE4VIDEO.CLIP_WEIGHTS (the tower is read off it).")
        found = infer_tower_from_weights(s.CLIP_WEIGHTS)
        s.TOWER, s.VARIANT = "custom", found["variant"]
        s.WIDTH, s.DEPTH, s.HEADS = found["width"], found["layers"], found["heads"]
        s.PATCH_SIZE, s.MLP_HIDDEN, s.LN_PRE = found["patch_size"], found["mlp_hidden"], found["ln_pre"]
        if found["image_size"] != cfg.DATA.TRAIN_CROP_SIZE:
            logger.warning(
                "%s was trained at %d px; DATA.TRAIN_CROP_SIZE is %d: its position embedding will be resampled",
                s.CLIP_WEIGHTS, found["image_size"], cfg.DATA.TRAIN_CROP_SIZE,
            )
    variant = s.VARIANT if s.TOWER == "custom" else PRESETS.get(s.TOWER, {}).get("variant")
    if s.CLIP_WEIGHTS and variant == "clip":
        _resolve_architecture(cfg, found, auto)
    dims = tower_dims(cfg)
    crop = cfg.DATA.TRAIN_CROP_SIZE
    if crop % dims["patch_size"]:
        where = f" (tower of {s.CLIP_WEIGHTS})" if s.CLIP_WEIGHTS else ""
        raise CheckpointError(
            f"DATA.TRAIN_CROP_SIZE {crop} is not a multiple of the tower's patch size {dims['patch_size']}{where}."
        )
