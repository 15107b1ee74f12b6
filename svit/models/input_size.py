"""The shape of one clip a configured model takes, read from the DATA keys.

The engine (SV-Mix's per-frame masks, the FLOP count logged at the start of a run) and the tools
(benchmark clips, model zoo rows) all need it; H2CN's clips are longer than DATA.NUM_FRAMES, so
nobody may compute the frame count on their own.
"""
from __future__ import annotations

import torch
from fvcore.common.config import CfgNode


def input_frames(cfg: CfgNode) -> int:
    """Frames of one input clip: DATA.NUM_FRAMES x DATA.FRAMES_PER_SEGMENT (H2CN's snippets of consecutive
    frames per segment; 1 for every other family)."""
    return int(cfg.DATA.NUM_FRAMES) * max(1, int(cfg.DATA.FRAMES_PER_SEGMENT))


def test_view_input(cfg: CfgNode) -> torch.Tensor:
    """A zero clip ``(1, C, input_frames, TEST_CROP_SIZE, TEST_CROP_SIZE)``."""
    c = cfg.DATA.INPUT_CHANNEL_NUM[0]
    s = cfg.DATA.TEST_CROP_SIZE
    return torch.zeros(1, c, input_frames(cfg), s, s)
