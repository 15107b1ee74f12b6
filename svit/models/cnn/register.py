"""One registration path for the CNN model names: several names differ only in an argument of a
shared builder (TSN/TSM/TAM: the temporal module; I3D/S3D: separable convolutions), so each name
is a row ``register_cnn_model(name, doc, build, tiny, init)`` instead of a decorated copy of the
same four-line function.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import torch.nn as nn
from fvcore.common.config import CfgNode

from svit.config.sections import uses_config_sections
from svit.models.build import with_init_checkpoints
from svit.models.registry import MODEL_REGISTRY
from svit.models.tiny import tiny_size

# Every CNN family's tiny test input (B, C, T, H, W).
CNN_TINY_SHAPE = (2, 3, 4, 32, 32)


def register_cnn_model(
    name: str,
    doc: str,
    build: Callable[[CfgNode], nn.Module],
    tiny: Sequence[Any],
    init: Callable[[CfgNode], list[tuple[str, str]]],
) -> Callable[[CfgNode], nn.Module]:
    """Registers ``build`` as ``MODEL.MODEL_NAME name`` reading the CNN section, with its tiny size
    (``tiny`` overrides at CNN_TINY_SHAPE) and its init weights ``init(cfg) -> [(path, adapter)]``;
    ``doc`` is what ``tools/list.py models`` shows."""

    def builder(cfg: CfgNode) -> nn.Module:
        return build(cfg)

    builder.__name__ = builder.__qualname__ = "build_" + name.lower()
    builder.__doc__ = doc
    builder = with_init_checkpoints(init)(builder)
    builder = uses_config_sections("CNN")(builder)
    builder = tiny_size(list(tiny), CNN_TINY_SHAPE)(builder)
    return MODEL_REGISTRY.register(name)(builder)
