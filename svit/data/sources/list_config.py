"""The LIST_DATA section: the list-file data sources (svit/data/sources/list_files.py: TSN, IBM and
Kinetics-csv list formats).
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("LIST_DATA")
def list_data_section(c: CfgNode) -> None:
    """Adds the ``LIST_DATA.*`` keys to a fresh node (names as users' yaml files write them)."""
    # List format: "kinetics_csv" (path label), "tsn" (path num_frames label), "ibm" (path start end label).
    c.FORMAT = "tsn"
    # Train list file relative to DATA.PATH_TO_DATA_DIR.
    c.TRAIN_LIST = "train.txt"
    # Validation list file relative to DATA.PATH_TO_DATA_DIR.
    c.VAL_LIST = "val.txt"
    # Test list file relative to DATA.PATH_TO_DATA_DIR.
    c.TEST_LIST = "test.txt"
    # Class names file (one per line) relative to DATA.PATH_TO_DATA_DIR; empty = numeric classes.
    c.CLASS_NAMES = ""
    # Number of classes of the list dataset (lists carry only indices); 0 = the number of CLASS_NAMES, else
    # the train list's max label + 1, refused when more than 2 classes in a row below it have no video (a
    # label typo: declare the count here for a real subset); val/test lists then keep MODEL.NUM_CLASSES.
    c.NUM_CLASSES = 0
    # Pairs of class indices swapped by horizontal flip (SSv1/SSv2 left/right classes).
    c.FLIP_SWAP_PAIRS = []
    # Field separator of list lines: "auto" (";" when the line has one, else whitespace), " " or ";".
    c.SEPARATOR = "auto"
    # Drop train/val videos with fewer frames than this (IBM filter_video, H2CN 8); test lists are never filtered.
    c.MIN_FRAMES = 0
    # Extension appended to list paths that lack one when reading videos (pyav), e.g. ".mp4".
    c.VIDEO_EXTENSION = ""
