"""Registered builders of the 2D CNN video models: ``TSN``, ``TSM``, ``TAM`` and generic ``IBM2D``.

``TSN``/``TSM``/``TAM`` fix the temporal module and read everything else from the config;
``IBM2D`` also reads ``CNN.TEMPORAL_MODULE``. Keys used: CNN.BACKBONE (resnet | inception_v1),
CNN.DEPTH, CNN.WITHOUT_T_STRIDE, CNN.POOLING_METHOD, CNN.SHIFT_DIV, CNN.TAM_DW_CONV,
CNN.TAM_BLENDING_FRAMES, CNN.TAM_BLENDING_METHOD, CNN.PARTIAL_BN, DATA.NUM_FRAMES,
MODEL.NUM_CLASSES, MODEL.DROPOUT_RATE. ``CNN.IMAGENET_WEIGHTS`` is not read here: each builder's
``init_checkpoints`` hands it to the ``imagenet`` adapter when a fresh training run starts.
"""
from __future__ import annotations

from functools import partial

import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.models.cnn.inception2d import InceptionV1Video
from svit.models.cnn.register import register_cnn_model
from svit.models.cnn.resnet2d import ResNet2dVideo
from svit.models.cnn.temporal_modules2d import TemporalModuleSpec


def build_2d_video_model(cfg: CfgNode, temporal_module: str | None = None) -> nn.Module:
    """Builds the 2D backbone the config names, with ``temporal_module`` (default: the config's)."""
    c = cfg.CNN
    spec = TemporalModuleSpec(
        name=temporal_module if temporal_module is not None else c.TEMPORAL_MODULE,
        shift_div=c.SHIFT_DIV,
        tam_dw_conv=c.TAM_DW_CONV,
        tam_blending_frames=c.TAM_BLENDING_FRAMES,
        tam_blending_method=c.TAM_BLENDING_METHOD.lower(),
    )
    common = dict(
        num_frames=cfg.DATA.NUM_FRAMES,
        num_classes=cfg.MODEL.NUM_CLASSES,
        dropout=cfg.MODEL.DROPOUT_RATE,
        temporal=spec,
        without_t_stride=c.WITHOUT_T_STRIDE,
        pooling_method=c.POOLING_METHOD.lower(),
        partial_bn=c.PARTIAL_BN,
    )
    backbone = c.BACKBONE.lower()
    if backbone == "resnet":
        model: nn.Module = ResNet2dVideo(depth=c.DEPTH, **common)
    elif backbone in ("inception_v1", "inception"):
        model = InceptionV1Video(**common)
    else:
        raise ValueError(f"2D video models support CNN.BACKBONE resnet or inception_v1, got {c.BACKBONE!r}")
    return model


def imagenet_2d_init(cfg: CfgNode) -> list[tuple[str, str]]:
    """``CNN.IMAGENET_WEIGHTS`` (a local torchvision/timm 2D state dict) through the ``imagenet`` adapter."""
    return [(cfg.CNN.IMAGENET_WEIGHTS, "imagenet")] if cfg.CNN.IMAGENET_WEIGHTS else []


_TINY_2D = ["CNN.BACKBONE", "resnet", "CNN.DEPTH", 18]
# MODEL.MODEL_NAME -> (temporal module, None: CNN.TEMPORAL_MODULE), what tools/list.py shows, extra tiny keys.
_MODELS_2D = {
    "TSN": ("none", "TSN: 2D backbone without temporal module (per-frame logits averaged).", []),
    "TSM": ("TSM", "TSM: 2D ResNet with the residual temporal shift in every block.", []),
    "TAM": ("TAM", "TAM: 2D backbone with IBM's Temporal Aggregation Module.", []),
    "IBM2D": (None, "Generic 2D model; the temporal module comes from CNN.TEMPORAL_MODULE.",
              ["CNN.TEMPORAL_MODULE", "TSM"]),
}
for _name, (_module, _doc, _tiny) in _MODELS_2D.items():
    register_cnn_model(_name, _doc, partial(build_2d_video_model, temporal_module=_module), _TINY_2D + _tiny,
                       imagenet_2d_init)
