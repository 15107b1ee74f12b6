"""The SIDE4VIDEO section: Side4Video's frozen image tower and side network (svit/models/side4video/).
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("SIDE4VIDEO")
def side4video_section(c: CfgNode) -> None:
    """Adds the ``SIDE4VIDEO.*`` keys to a fresh node (names as users' yaml files write them)."""
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
    # Custom tower MLP hidden width (0 = 4 * WIDTH; open_clip ViT-g/bigG differ); TOWER auto reads it off the file.
    c.MLP_HIDDEN = 0
    # CLIP tower activation: quick_gelu (OpenAI's; open_clip "*-quickgelu"), gelu (open_clip's plain ViT-B-16,
    # ViT-L-14, ViT-H-14...: the LAION-2B/DataComp tags) or auto (quick_gelu for an OpenAI .pt archive, a
    # Side4Video checkpoint or no weights file; an open_clip state dict must name it: its tensors do not show it).
    c.ACTIVATION = "auto"
    # TOWER auto: attention head width of the file's CLIP tower (heads = WIDTH // HEAD_WIDTH): 64 OpenAI and
    # ViT-B/L, 80 ViT-H-14, 88 ViT-g-14, 104 ViT-bigG-14. 0 = 64 for OpenAI archives; open_clip state dicts set it.
    c.HEAD_WIDTH = 0
    # CLIP tower has ln_pre before its blocks (False: CLIPA towers, open_clip no_ln_pre); TOWER auto reads the file.
    c.LN_PRE = True
    # Side network width D (320 for B/32 and B/16, 512 for L/14, 576 for EVA-E); side heads = D // 64.
    c.SIDE_DIM = 320
    # Storage/compute dtype of the frozen tower: float32, bfloat16 or float16 (LayerNorms stay float32).
    c.BACKBONE_DTYPE = "float32"
