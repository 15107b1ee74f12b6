"""Registered builders of the 3D CNN baselines: ``I3D``, ``S3D``, ``ResNet3D``, ``R2plus1D``.

Names (``MODEL.MODEL_NAME``) and the backbone each accepts (``CNN.BACKBONE``):

* ``I3D``: ``i3d_resnet`` (I3D-ResNet, also ``resnet``) or ``i3d`` (Inception-v1, also
  ``inception_v1``).
* ``S3D``: ``s3d_resnet`` (S3D-ResNet, also ``resnet``) or ``s3d`` (Inception-v1, also
  ``inception_v1``).
* ``ResNet3D``: alias of I3D-ResNet; ``R2plus1D``: alias of S3D-ResNet, the (2+1)D ResNet of the
  IBM code (no intermediate channel expansion, full 3×7×7 stem; github.com/IBM/action-recognition-pytorch).

Other keys: ``CNN.DEPTH`` (18/34/50/101/152), ``CNN.WITHOUT_T_STRIDE``, ``CNN.POOLING_METHOD``
(Inception stem/stage pools), ``CNN.DW_T_CONV`` (S3D variants), ``MODEL.NUM_CLASSES``,
``MODEL.DROPOUT_RATE``. ``CNN.IMAGENET_WEIGHTS`` / ``CNN.INFLATE_RULE`` are not read while
building: each builder's ``init_checkpoints`` hands the local 2D ImageNet state dict to the
``inflate`` / ``inflate_mean`` adapter when a fresh training run starts (the original always
inflated ImageNet weights; nothing is downloaded here, so an empty path leaves the fresh init).
"""
from __future__ import annotations

from functools import partial

import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.models.build import inflate_adapter
from svit.models.cnn.inception3d import InceptionV1_3d
from svit.models.cnn.register import register_cnn_model
from svit.models.cnn.resnet3d import ResNet3d
from svit.utils.logging import get_logger

logger = get_logger(__name__)

# CNN.BACKBONE spellings accepted by each family.
_RESNET_BACKBONES = {"I3D": ("i3d_resnet", "resnet"), "S3D": ("s3d_resnet", "resnet")}
_INCEPTION_BACKBONES = {"I3D": ("i3d", "inception_v1"), "S3D": ("s3d", "inception_v1")}


def _shared_args(cfg: CfgNode, name: str, separable: bool) -> dict:
    """The constructor arguments both 3D backbones read from the config, after checking the input
    modality (the 3D stems take 3 channels) and warning that DW_T_CONV is ignored off S3D."""
    if cfg.CNN.MODALITY != "rgb":
        raise ValueError(f"{name}: only CNN.MODALITY rgb is supported (the 3D stems take 3 channels)")
    if cfg.CNN.DW_T_CONV and not separable:
        logger.warning("%s: CNN.DW_T_CONV only applies to S3D models; ignored", name)
    return dict(num_classes=cfg.MODEL.NUM_CLASSES, dropout=cfg.MODEL.DROPOUT_RATE,
                without_t_stride=cfg.CNN.WITHOUT_T_STRIDE, separable=separable,
                dw_t_conv=bool(cfg.CNN.DW_T_CONV) and separable)


def inflate_init(cfg: CfgNode) -> list[tuple[str, str]]:
    """``CNN.IMAGENET_WEIGHTS`` (a local 2D state dict) through the inflation adapter of CNN.INFLATE_RULE."""
    path = cfg.CNN.IMAGENET_WEIGHTS
    return [(path, inflate_adapter(cfg))] if path else []


def build_resnet3d(cfg: CfgNode, separable: bool) -> nn.Module:
    """I3D-ResNet (``separable=False``) or S3D-ResNet (``True``) from the config; with
    CNN.R2PLUS1D_EXPAND (R2plus1D/S3D only) the SV-Mix R(2+1)D with its CNN.EARLY_STRIDE stem."""
    shared = _shared_args(cfg, "S3D-ResNet" if separable else "I3D-ResNet", separable)
    expand = bool(cfg.CNN.R2PLUS1D_EXPAND)
    if expand and not separable:
        raise ValueError("CNN.R2PLUS1D_EXPAND needs a (2+1)D model (MODEL.MODEL_NAME R2plus1D or S3D)")
    return ResNet3d(depth=cfg.CNN.DEPTH, expand_2plus1d=expand, early_stride=int(cfg.CNN.EARLY_STRIDE), **shared)


def build_inception3d(cfg: CfgNode, separable: bool) -> nn.Module:
    """I3D (``separable=False``) or S3D (``True``) on Inception-v1 from the config."""
    shared = _shared_args(cfg, "S3D" if separable else "I3D", separable)
    return InceptionV1_3d(pooling_method=cfg.CNN.POOLING_METHOD, **shared)


def _build_family(cfg: CfgNode, family: str) -> nn.Module:
    backbone = cfg.CNN.BACKBONE
    separable = family == "S3D"
    if backbone in _RESNET_BACKBONES[family]:
        return build_resnet3d(cfg, separable)
    if backbone in _INCEPTION_BACKBONES[family]:
        return build_inception3d(cfg, separable)
    accepted = _RESNET_BACKBONES[family] + _INCEPTION_BACKBONES[family]
    raise ValueError(f"{family}: CNN.BACKBONE must be one of {accepted}, got {backbone!r}")


def _build_3d(cfg: CfgNode, name: str, family: str, resnet_only: bool) -> nn.Module:
    """The model ``name`` of ``family`` (I3D or S3D); the ResNet-only aliases refuse Inception."""
    if not resnet_only:
        return _build_family(cfg, family)
    if cfg.CNN.BACKBONE not in _RESNET_BACKBONES[family]:
        raise ValueError(
            f"{name} is a ResNet; CNN.BACKBONE must be one of {_RESNET_BACKBONES[family]}, "
            f"got {cfg.CNN.BACKBONE!r}"
        )
    return build_resnet3d(cfg, separable=family == "S3D")


# MODEL.MODEL_NAME -> (family, ResNet only, CNN.BACKBONE of its tiny size, what tools/list.py shows).
_MODELS_3D = {
    "I3D": ("I3D", False, "i3d_resnet", "I3D-ResNet (CNN.BACKBONE i3d_resnet) or I3D Inception-v1 (CNN.BACKBONE i3d)."),
    "S3D": ("S3D", False, "s3d_resnet", "S3D-ResNet (CNN.BACKBONE s3d_resnet) or S3D Inception-v1 (CNN.BACKBONE s3d)."),
    "ResNet3D": ("I3D", True, "resnet", "Alias of I3D-ResNet (every 3×3 inflated to 3×3×3)."),
    "R2plus1D": ("S3D", True, "resnet",
                 "Alias of S3D-ResNet: the (2+1)D ResNet of the IBM code (every 3×3 → (1,3,3) + (3,1,1))."),
}
for _name, (_family, _resnet_only, _backbone, _doc) in _MODELS_3D.items():
    register_cnn_model(_name, _doc, partial(_build_3d, name=_name, family=_family, resnet_only=_resnet_only),
                       ["CNN.DEPTH", 18, "CNN.BACKBONE", _backbone], inflate_init)
