"""The SWIN section: Video Swin Transformer (svit/models/swin/model.py); key names after the official configs
of SwinTransformer/Video-Swin-Transformer (mmaction2 backbone arguments in upper case).
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("SWIN")
def swin_section(c: CfgNode) -> None:
    """Adds the ``SWIN.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Patch (tubelet) size [t, h, w] of the Conv3d embedding.
    c.PATCH_SIZE = [2, 4, 4]
    # Channels of the first stage (doubles at every patch merging): 96 for T/S, 128 for B.
    c.EMBED_DIM = 96
    # Blocks per stage: [2, 2, 6, 2] (T), [2, 2, 18, 2] (S, B).
    c.DEPTHS = [2, 2, 6, 2]
    # Attention heads per stage: [3, 6, 12, 24] (T, S), [4, 8, 16, 32] (B).
    c.NUM_HEADS = [3, 6, 12, 24]
    # Attention window [t, h, w]: [8, 7, 7] official Kinetics models, [4, 7, 7] SV-Mix (checkpoint tables are resized).
    c.WINDOW_SIZE = [8, 7, 7]
    # MLP hidden width / channels.
    c.MLP_RATIO = 4.0
    # Bias on the qkv projection.
    c.QKV_BIAS = True
    # LayerNorm after the patch embedding (True in every official model).
    c.PATCH_NORM = True
    # Stochastic depth rate, linear over all blocks (0.1 T, 0.2 S/SV-Mix, 0.3 B in the official configs).
    c.DROP_PATH_RATE = 0.2
    # Dropout after the attention projection and MLP layers.
    c.DROP_RATE = 0.0
    # Dropout on the attention weights.
    c.ATTN_DROP_RATE = 0.0
