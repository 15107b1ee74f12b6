"""The MVIT section: the MViTv2 backbone of MViT and SViT (svit/models/mvit/model.py, ``mvit_kwargs``).

Key names and defaults are PySlowFast's (slowfast/config/defaults.py), so its MViT yaml files load.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("MVIT")
def mvit_section(c: CfgNode) -> None:
    """Adds the ``MVIT.*`` keys to a fresh node (names and defaults as PySlowFast's)."""
    # Pooling operator of the attention pooling: conv, max, avg.
    c.MODE = "conv"
    # Pool before the q/k/v projection (MViTv1 style) instead of after.
    c.POOL_FIRST = False
    # Use a learned CLS token.
    c.CLS_EMBED_ON = True
    # Patch embedding kernel (T, H, W).
    c.PATCH_KERNEL = [3, 7, 7]
    # Patch embedding stride.
    c.PATCH_STRIDE = [2, 4, 4]
    # Patch embedding padding.
    c.PATCH_PADDING = [1, 3, 3]
    # Use a 2D patch embedding (image MViT); False = 3D.
    c.PATCH_2D = False
    # Width of the first stage.
    c.EMBED_DIM = 96
    # Heads of the first stage.
    c.NUM_HEADS = 1
    # MLP hidden width ratio.
    c.MLP_RATIO = 4.0
    # Bias of the qkv projection.
    c.QKV_BIAS = True
    # Maximum stochastic depth rate (linear over blocks).
    c.DROPPATH_RATE = 0.1
    # Layer scale init value (0 = no layer scale).
    c.LAYER_SCALE_INIT_VALUE = 0.0
    # Number of transformer blocks.
    c.DEPTH = 16
    # Normalisation layer: layernorm.
    c.NORM = "layernorm"
    # [block, multiplier] pairs where the width changes.
    c.DIM_MUL = []
    # [block, multiplier] pairs where the number of heads changes.
    c.HEAD_MUL = []
    # [block, t, h, w] kv pooling strides; empty uses POOL_KV_STRIDE_ADAPTIVE.
    c.POOL_KV_STRIDE = []
    # Initial kv stride divided by each q stride (MViTv2 adaptive kv stride); empty = none.
    c.POOL_KV_STRIDE_ADAPTIVE = []
    # [block, t, h, w] query pooling strides.
    c.POOL_Q_STRIDE = []
    # Pooling kernel for q, k and v; empty = derived from the stride.
    c.POOL_KVQ_KERNEL = [3, 3, 3]
    # Zero-init of the classifier (MViT option).
    c.ZERO_DECAY_POS_CLS = True
    # Normalise the stem output.
    c.NORM_STEM = False
    # Use separable (space + time) absolute position embeddings.
    c.SEP_POS_EMBED = False
    # Dropout on the token sequence after the stem.
    c.DROPOUT_RATE = 0.0
    # Absolute position embeddings.
    c.USE_ABS_POS = True
    # Spatial decomposed relative position terms in attention.
    c.REL_POS_SPATIAL = False
    # Temporal relative position term in attention.
    c.REL_POS_TEMPORAL = False
    # Zero-init the relative position tables.
    c.REL_POS_ZERO_INIT = False
    # Add the pooled query to the attention output (MViTv2 residual pooling).
    c.RESIDUAL_POOLING = False
    # Change the width inside the attention of a stage's first block (MViTv2).
    c.DIM_MUL_IN_ATT = False
    # Separate qkv linear layers instead of one (MViTv1 pool-first).
    c.SEPARATE_QKV = False
    # Scale of the classifier init.
    c.HEAD_INIT_SCALE = 1.0
    # Mean-pool tokens for the classifier instead of the CLS token.
    c.USE_MEAN_POOLING = False
    # Use fixed sin-cos absolute position embeddings.
    c.USE_FIXED_SINCOS_POS = False
