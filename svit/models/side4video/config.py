"""The SIDE4VIDEO section: Side4Video's frozen image tower and side network (svit/models/side4video/).
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("SIDE4VIDEO")
def side4video_section(c: CfgNode) -> None:
    """Adds the ``SIDE4VIDEO.*`` keys (The SIDE4VIDEO section) to a fresh node."""
    # Image tower weights a fresh run starts from: OpenAI CLIP .pt archive, open_clip/EVA-CLIP state dict ("" = random).
    c.CLIP_WEIGHTS = ""
    # Tower: ViT-B/32, ViT-B/16, ViT-L/14, EVA02-CLIP-bigE-14, "custom" (dims below) or "auto" (read off CLIP_WEIGHTS).
    c.TOWER = "ViT-B/16"
    # Tower/side-network family of a custom tower: "clip" (pre-LN, side block per layer) or "eva" (post-norm,
    # odd layers).
    c.VARIANT = "clip"
    # Custom tower width.
    c.WIDTH = 768
    # Custom tower depth (transformer blocks).
    c.LAYERS = 12
    # Custom tower attention heads.
    c.HEADS = 12
    # Custom tower patch size (also the side stem's spatial kernel).
    c.PATCH_SIZE = 16
    # Custom EVA tower MLP hidden width (0 = 4 * WIDTH; CLIP towers always use 4 * WIDTH).
    c.MLP_HIDDEN = 0
    # Side network width D (320 for B/32 and B/16, 512 for L/14, 576 for EVA-E); side heads = D // 64.
    c.SIDE_DIM = 320
    # Storage/compute dtype of the frozen tower: float32, bfloat16 or float16 (LayerNorms stay float32).
    c.BACKBONE_DTYPE = "float32"
