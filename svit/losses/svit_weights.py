"""Loss weights of SViT co-training (SViT, Ben Avraham et al., NeurIPS 2022; github.com/eladb3/SViT: the loss weights
of its configs/ssv2.yaml), in one place for the task and the tests.

Term weights follow the original ``get_lambdas_dict`` (DETR-style 5/1/2 split of LAMBDA_NODES),
with the consistency weight keyed to the term actually produced. The branch weights replace the
original's implicit 7-video-GPU / 1-image-GPU averaging: total = w_video·video + w_image·image.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode


def svit_loss_weights(cfg: CfgNode) -> dict[str, float]:
    """Weight of each named (unweighted) loss term."""
    nodes = float(cfg.SVIT.LAMBDA_NODES)
    con = float(cfg.SVIT.LAMBDA_CON)
    return {
        "loss_ce": 1.0,
        "boxes_l1_loss": 5.0 * nodes,
        "boxes_bce_loss": 1.0 * nodes,
        "boxes_giou_loss": 2.0 * nodes,
        "loss_contact_state": float(cfg.SVIT.LAMBDA_EDGES),
        "video_image_desc_l1_loss": con,
        "video_image_desc_l2_loss": con,
    }


def svit_branch_weights(cfg: CfgNode) -> dict[str, float]:
    """``{"video": SVIT.VIDEO_LOSS_WEIGHT, "image": SVIT.IMAGE_LOSS_WEIGHT}`` (7/8 and 1/8)."""
    return {"video": float(cfg.SVIT.VIDEO_LOSS_WEIGHT), "image": float(cfg.SVIT.IMAGE_LOSS_WEIGHT)}
