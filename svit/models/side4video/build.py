"""Registered builder of Side4Video (``MODEL.MODEL_NAME: Side4Video``).

Reads ``SIDE4VIDEO.*`` (tower, side width, variant, backbone dtype), ``MODEL.NUM_CLASSES``,
``MODEL.DROPOUT_RATE`` (the original's ``drop_fc``), ``MODEL.ATTN_IMPL`` and the crop. It reads no
file: the two attributes below let the engine (``svit.models.prepare``) resolve ``TOWER: auto`` from
``SIDE4VIDEO.CLIP_WEIGHTS`` before the config is frozen and load that file into a fresh model
through the ``clip`` adapter when training starts.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import uses_config_sections
from svit.models.registry import MODEL_REGISTRY
from svit.models.side4video.model import Side4Video
from svit.models.side4video.towers import resolve_tower_config, tower_dims
from svit.models.tiny import tiny_size


@MODEL_REGISTRY.register("Side4Video")
@tiny_size([
    "SIDE4VIDEO.TOWER", "custom",
    "SIDE4VIDEO.WIDTH", 64,
    "SIDE4VIDEO.DEPTH", 2,
    "SIDE4VIDEO.HEADS", 1,
    "SIDE4VIDEO.PATCH_SIZE", 16,
    "SIDE4VIDEO.SIDE_DIM", 64,
], (2, 3, 4, 32, 32))
@uses_config_sections("SIDE4VIDEO")
def build_side4video(cfg: CfgNode) -> Side4Video:
    """Side4Video from the config (tower preset/custom dims; resolve ``auto`` first)."""
    if cfg.DATA.TEST_CROP_SIZE != cfg.DATA.TRAIN_CROP_SIZE:
        raise ValueError(
            f"Side4Video: DATA.TEST_CROP_SIZE {cfg.DATA.TEST_CROP_SIZE} != DATA.TRAIN_CROP_SIZE "
            f"{cfg.DATA.TRAIN_CROP_SIZE}; the tower's position embedding fixes one crop size."
        )
    s = cfg.SIDE4VIDEO
    return Side4Video(
        num_classes=cfg.MODEL.NUM_CLASSES,
        image_size=cfg.DATA.TRAIN_CROP_SIZE,
        side_dim=s.SIDE_DIM,
        dropout=cfg.MODEL.DROPOUT_RATE,
        attn_impl=cfg.MODEL.ATTN_IMPL,
        backbone_dtype=s.BACKBONE_DTYPE,
        **tower_dims(cfg),
    )


def init_checkpoints(cfg: CfgNode) -> list[tuple[str, str]]:
    """The tower weights a fresh training run starts from: ``SIDE4VIDEO.CLIP_WEIGHTS`` via ``clip``."""
    return [(cfg.SIDE4VIDEO.CLIP_WEIGHTS, "clip")] if cfg.SIDE4VIDEO.CLIP_WEIGHTS else []


build_side4video.resolve_config = resolve_tower_config  # type: ignore[attr-defined]
build_side4video.init_checkpoints = init_checkpoints  # type: ignore[attr-defined]
