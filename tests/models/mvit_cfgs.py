"""Config builders for the MViT/SViT tests (tiny shapes; the fixture's micro config)."""
from __future__ import annotations

from pathlib import Path

from svit.config.defaults import get_cfg

REPO = Path(__file__).resolve().parents[2]

MICRO_OVERRIDES = [
    "MVIT.DEPTH", 5,
    "MVIT.EMBED_DIM", 32,
    "MVIT.DIM_MUL", [[1, 2.0], [3, 2.0]],
    "MVIT.HEAD_MUL", [[1, 2.0], [3, 2.0]],
    "MVIT.POOL_Q_STRIDE", [[0, 1, 1, 1], [1, 1, 2, 2], [2, 1, 1, 1], [3, 1, 2, 2], [4, 1, 1, 1]],
    "MVIT.POOL_KV_STRIDE_ADAPTIVE", [1, 4, 4],
    "DATA.NUM_FRAMES", 4,
    "DATA.TRAIN_CROP_SIZE", 32,
    "DATA.TEST_CROP_SIZE", 32,
    "MODEL.NUM_CLASSES", 7,
]


def yaml_cfg(name: str, overrides: list | None = None):
    """defaults + configs/<name> + KEY VALUE overrides."""
    cfg = get_cfg()
    cfg.merge_from_file(str(REPO / "configs" / name))
    if overrides:
        cfg.merge_from_list(list(overrides))
    return cfg


def micro_cfg(model: str = "SViT", extra: list | None = None):
    """The svit_micro fixture's config (configs/ssv2.yaml + README overrides)."""
    return yaml_cfg("ssv2.yaml", MICRO_OVERRIDES + ["MODEL.MODEL_NAME", model] + list(extra or []))
