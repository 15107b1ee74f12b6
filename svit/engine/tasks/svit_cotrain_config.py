"""The SVIT and IMAGE_TRAIN sections: SViT's object slots, HAOG and consistency losses, and the image
co-training set of the svit_cotrain task (svit/engine/tasks/svit_cotrain.py). The SViT model reads
SVIT.O; the HAOG frame source and its transforms read the box rules. Key names follow eladb3/SViT.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("SVIT")
def svit_section(c: CfgNode) -> None:
    """Adds the ``SVIT.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Object slots per input frame (2 hands + 2 objects).
    c.O = 4
    # HAOG node-loss scale: L1 x5, BCE x1, GIoU x2 times this.
    c.LAMBDA_NODES = 1.0
    # HAOG edge (contact state) loss weight.
    c.LAMBDA_EDGES = 1.0
    # Frame-clip consistency loss weight (0 disables the term and its frame pass).
    c.LAMBDA_CON = 1.0
    # Consistency distance: "l1" or "l2".
    c.CON_LOSS = "l1"
    # Object tokens compared by the consistency loss: "pre_dropout" or "post_dropout" (original).
    c.CON_FEATURES = "pre_dropout"
    # Mode of the no-grad frame pass: "eval" or "train" (original: train, dropout active).
    c.CON_TARGET_MODE = "eval"
    # Weight of the video terms in the total loss (the original 7-video/1-image GPU split: 7/8).
    c.VIDEO_LOSS_WEIGHT = 0.875
    # Weight of the image (HAOG) terms in the total loss (original split: 1/8).
    c.IMAGE_LOSS_WEIGHT = 0.125
    # Contact rule for SSv2 frames: "overlap" (boxes intersect) or "distance" (centre distance).
    c.CONTACT_RULE = "overlap"
    # Normalised centre distance below which a hand touches its object ("distance" rule).
    c.CONTACT_DISTANCE = 0.1
    # Boxes smaller than this (normalised width or height) after augmentation become missing slots.
    c.MIN_BOX_SIZE = 0.05


@register_config_section("IMAGE_TRAIN")
def image_train_section(c: CfgNode) -> None:
    """Adds the ``IMAGE_TRAIN.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Co-train on single annotated frames (SViT); the image loader runs beside the video loader.
    c.ENABLE = False
    # Global number of images per optimiser step.
    c.BATCH_SIZE = 64
    # Registered image datasets concatenated for co-training.
    c.DATASETS = ["ssv2_frames"]
    # Optional JSON list of video ids whose frames form the image set (the paper's small-image regime).
    c.SUBSET_FILE = ""
