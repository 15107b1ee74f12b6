"""The CNN section: the 2D/3D CNN baselines (svit/models/cnn/: TSN, TSM, TAM, IBM2D, I3D, S3D, ResNet3D,
R2plus1D), after IBM action-recognition-pytorch's options. H2CN reads CNN.IMAGENET_WEIGHTS as a fallback.
"""
from __future__ import annotations

from fvcore.common.config import CfgNode

from svit.config.sections import register_config_section


@register_config_section("CNN")
def cnn_section(c: CfgNode) -> None:
    """Adds the ``CNN.*`` keys to a fresh node (names as users' yaml files write them)."""
    # Backbone: resnet (2D), inception_v1 (2D), i3d_resnet, s3d_resnet, i3d (Inception), s3d (Inception).
    c.BACKBONE = "resnet"
    # ResNet depth: 18, 34, 50, 101, 152.
    c.DEPTH = 50
    # Temporal module of 2D backbones: none (TSN), TSM, TAM.
    c.TEMPORAL_MODULE = "none"
    # No temporal pooling/striding inside the network (IBM --without_t_stride).
    c.WITHOUT_T_STRIDE = True
    # Temporal pooling of 2D models: max or avg.
    c.POOLING_METHOD = "max"
    # Depthwise temporal convolutions (S3D-ResNet option).
    c.DW_T_CONV = False
    # R2plus1D: the SV-Mix R(2+1)D blocks ((1,3,3) conv to 9/4 width, (3,1,1) back, one BN after both).
    c.R2PLUS1D_EXPAND = False
    # 3D ResNets: stem EARLY_STRIDEx7x7 conv with temporal stride EARLY_STRIDE, no temporal padding
    # (SV-Mix R(2+1)D, MODEL.EARLY_STRIDE there); 0 = the IBM 3x7x7 stem.
    c.EARLY_STRIDE = 0
    # TSM: fraction of channels shifted each way is 1/SHIFT_DIV.
    c.SHIFT_DIV = 8
    # TAM: blending frames.
    c.TAM_BLENDING_FRAMES = 3
    # TAM: blending method: sum or max.
    c.TAM_BLENDING_METHOD = "sum"
    # TAM: depthwise 1x1 blending convs (IBM default); False = full CxC convs (IBM --no_dw_conv).
    c.TAM_DW_CONV = True
    # ImageNet 2D state dict (torchvision/timm names) to initialise/inflate from; empty = none.
    c.IMAGENET_WEIGHTS = ""
    # Inflation rule for 3D models: "original" (copy along time) or "mean" (divide by temporal size).
    c.INFLATE_RULE = "original"
    # Freeze BN statistics/affine of all but the first BN layer (TSN partial BN).
    c.PARTIAL_BN = False
    # Input modality: rgb or flow.
    c.MODALITY = "rgb"
