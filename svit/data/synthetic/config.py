"""The SYNTHETIC section: the generated synthetic SSv2 data set (svit/data/synthetic/, source synthetic_ssv2).
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("SYNTHETIC")
def synthetic_section(c: CfgNode) -> None:
    """Adds the ``SYNTHETIC.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Synthetic SSv2 folder; empty = $SVIT_CACHE (default ~/.cache/svit)/synthetic_ssv2_<params hash>.
    c.ROOT = ""
    # Videos generated when the folder does not exist yet.
    c.NUM_VIDEOS = 400
    # Seed of the generator.
    c.SEED = 0
    # Frames per synthetic video.
    c.NUM_FRAMES_PER_VIDEO = 24
    # Frame size (pixels) of the synthetic videos.
    c.FRAME_SIZE = 64
    # Also write videos/<id>.webm (VP9) beside the frame folders (needed for DATA.DECODING_BACKEND pyav).
    c.WRITE_VIDEOS = True
    # Worker processes used when the synthetic dataset has to be generated.
    c.WORKERS = 2
