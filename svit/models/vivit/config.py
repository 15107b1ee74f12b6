"""The VIVIT section: the ViViT factorised encoder (svit/models/vivit/model.py).
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("VIVIT")
def vivit_section(c: CfgNode) -> None:
    """Adds the ``VIVIT.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Spatial patch size of the tubelet embedding (the crop must be a multiple).
    c.PATCH_SIZE = 16
    # Frames per tubelet (the frame count must be a multiple); the 2D init kernel is repeated and divided by it.
    c.TUBELET = 2
    # Token width (384 = ViT-S / DeiT-S).
    c.EMBED_DIM = 384
    # Spatial transformer blocks (run per temporal index, initialised from the image model).
    c.DEPTH = 12
    # Temporal transformer blocks over the per-frame class tokens (randomly initialised).
    c.TEMPORAL_DEPTH = 4
    # Attention heads of every block.
    c.NUM_HEADS = 6
    # MLP hidden width / channels.
    c.MLP_RATIO = 4.0
    # Bias on the qkv projection.
    c.QKV_BIAS = True
    # Stochastic depth rate, linear over the spatial then temporal blocks.
    c.DROP_PATH_RATE = 0.2
    # Dropout after the position embedding and inside the blocks.
    c.DROP_RATE = 0.0
    # Dropout on the attention weights.
    c.ATTN_DROP_RATE = 0.0
    # Add the temporal position embedding before the temporal blocks (SV-Mix defines it but never adds it).
    c.TEMPORAL_POS_EMBED = False
