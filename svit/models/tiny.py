"""Each family's tiny test size, declared beside its builder.

``@tiny_size(overrides, shape)`` on a registered builder attaches ``tiny_config(cfg) -> input shape``:
it merges the family's ``KEY VALUE`` overrides (a few channels, one or two blocks) and sets
``DATA.NUM_FRAMES`` and the crop sizes from ``shape`` ``(B, C, T, H, W)`` (``T`` counts input
frames: ``NUM_FRAMES x DATA.FRAMES_PER_SEGMENT``). tests/test_registries.py builds, trains and checks
the model convention of every registered model at that size, so a new family brings its own.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from fvcore.common.config import CfgNode


def tiny_size(overrides: Sequence[Any], shape: tuple[int, ...]) -> Callable[[Callable], Callable]:
    """Decorator attaching ``tiny_config`` (overrides + input ``shape``) to a model builder."""
    pairs = dict(zip(overrides[::2], overrides[1::2]))

    def tiny_config(cfg: CfgNode) -> tuple[int, ...]:
        segments = shape[2] // int(pairs.get("DATA.FRAMES_PER_SEGMENT", 1))
        cfg.merge_from_list(list(overrides) + ["DATA.NUM_FRAMES", segments, "DATA.TRAIN_CROP_SIZE", shape[3],
                                               "DATA.TEST_CROP_SIZE", shape[3]])
        return tuple(shape)

    def deco(builder: Callable) -> Callable:
        builder.tiny_config = tiny_config  # type: ignore[attr-defined]
        return builder

    return deco


# MViT and SViT share this one (SViT is MViT plus object tokens).
MVIT_TINY = ["MVIT.DEPTH", 2, "MVIT.EMBED_DIM", 16, "MVIT.NUM_HEADS", 1, "MVIT.DIM_MUL", [[1, 2.0]],
             "MVIT.HEAD_MUL", [[1, 2.0]], "MVIT.POOL_Q_STRIDE", [[1, 1, 2, 2]], "MVIT.POOL_KV_STRIDE_ADAPTIVE",
             [1, 4, 4], "MVIT.REL_POS_SPATIAL", True, "MVIT.RESIDUAL_POOLING", True, "MVIT.DIM_MUL_IN_ATT", True,
             "MVIT.DROPPATH_RATE", 0.1]
