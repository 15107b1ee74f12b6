"""The SSV2 section: the Something-Something v2 sources (svit/data/sources/ssv2.py, ssv2_frames.py).
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("SSV2")
def ssv2_section(c: CfgNode) -> None:
    """Adds the ``SSV2.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Split: standard, compositional, fewshot-base, fewshot-5finetune, fewshot-10finetune.
    c.SPLIT = "standard"
    # Label map file relative to DATA.PATH_TO_DATA_DIR (template -> index as a string).
    c.LABEL_MAP = "something-something-v2-labels.json"
    # Train list relative to DATA.PATH_TO_DATA_DIR.
    c.TRAIN_LIST = "something-something-v2-train.json"
    # Validation list relative to DATA.PATH_TO_DATA_DIR.
    c.VAL_LIST = "something-something-v2-validation.json"
    # List read by the "test" split (labelled); empty = VAL_LIST.
    c.TEST_LIST = ""
    # Explicit [a, b] class pairs swapped by flipping; empty = found from "left"/"right" in the class names.
    c.FLIP_SWAP_PAIRS = []
    # Folder of per-video box JSONs relative to DATA.PATH_TO_DATA_DIR.
    c.BOX_DIR = "bbox_jsons"
    # Optional JSON list of video ids without boxes (train); empty = detect missing files.
    c.EMPTY_BOX_TRAIN = ""
    # Optional JSON list of video ids without boxes (validation).
    c.EMPTY_BOX_VAL = ""
    # Folder of frame folders relative to DATA.PATH_PREFIX.
    c.FRAMES_DIR = "frames"
    # Folder of .webm videos relative to DATA.PATH_PREFIX.
    c.VIDEOS_DIR = "videos"
    # Swap left/right classes when flipping (86<->87, 93<->94, 166<->167 in the standard label map).
    c.FLIP_SWAP_CLASSES = True
