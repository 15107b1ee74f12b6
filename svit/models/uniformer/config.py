"""The UNIFORMER section: UniFormer (svit/models/uniformer/model.py), sizes as in Sense-X/UniFormer.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("UNIFORMER")
def uniformer_section(c: CfgNode) -> None:
    """Adds the ``UNIFORMER.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Blocks per stage: [3, 4, 8, 3] (UniFormer-S), [5, 8, 20, 7] (UniFormer-B).
    c.DEPTH = [3, 4, 8, 3]
    # Channels per stage.
    c.EMBED_DIM = [64, 128, 320, 512]
    # Channels per attention head in the self-attention stages (heads = EMBED_DIM // HEAD_DIM).
    c.HEAD_DIM = 64
    # MLP hidden width / channels.
    c.MLP_RATIO = 4.0
    # Bias on the qkv projection.
    c.QKV_BIAS = True
    # Stochastic depth rate, linear over all blocks (0.1 K400, 0.2 SSv1/SV-Mix, 0.3 SSv2 in the official runs).
    c.DROP_PATH_RATE = 0.1
    # Dropout inside the blocks (MLP, attention projection).
    c.DROP_RATE = 0.0
    # Dropout on the attention weights.
    c.ATTN_DROP_RATE = 0.0
