"""The H2CN section: H2CN (svit/models/h2cn/).
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("H2CN")
def h2cn_section(c: CfgNode) -> None:
    """Adds the ``H2CN.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Frames per segment snippet.
    c.SNIPPET_LEN = 5
    # Bottleneck ResNet depth of the H2CN backbone: 26 (smoke tests), 50 (paper), 101, 152.
    c.DEPTH = 50
    # Stem / first-stage width (64 = the paper; e.g. 16 for tiny CPU runs; ImageNet init needs 64).
    c.BASE_WIDTH = 64
    # CMCB channel reduction ratio (squeeze to planes // REDUCTION channels).
    c.REDUCTION = 16
    # TSM shift inside every bottleneck: 1/SHIFT_DIV of the channels each way.
    c.SHIFT_DIV = 8
    # Fusion weight of the motion stem (the key-frame stem gets 1 - MOTION_WEIGHT); 0.5 in the paper.
    c.MOTION_WEIGHT = 0.5
    # torchvision ResNet state dict for ImageNet init; empty = CNN.IMAGENET_WEIGHTS; both empty = none.
    c.IMAGENET_WEIGHTS = ""
