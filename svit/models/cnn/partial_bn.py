"""Partial batch normalisation (TSN, Wang et al. 2016).

Fine-tuning on small video datasets with small per-GPU batches corrupts the ImageNet BN
statistics; TSN keeps every BN layer except the first frozen: running statistics are not
updated (eval mode) and the affine parameters get no gradient. The freeze has to be re-applied
after every ``model.train()``, hence the ``train`` override.
"""
from __future__ import annotations

import torch.nn as nn

_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def freeze_bn_except_first(module: nn.Module) -> int:
    """Puts every BN layer after the first (in ``module.modules()`` order) in eval mode with
    ``requires_grad=False`` affine parameters; returns how many layers were frozen."""
    frozen = 0
    seen_first = False
    for m in module.modules():
        if not isinstance(m, _BN_TYPES):
            continue
        if not seen_first:
            seen_first = True
            continue
        m.eval()
        for p in (m.weight, m.bias):
            if p is not None:
                p.requires_grad_(False)
        frozen += 1
    return frozen


class PartialBNMixin:
    """Mixin for ``nn.Module`` subclasses with a ``partial_bn`` attribute: ``train()`` re-freezes
    all BN layers but the first when ``partial_bn`` is true."""

    partial_bn: bool = False

    def train(self, mode: bool = True):  # type: ignore[no-untyped-def]
        super().train(mode)  # type: ignore[misc]
        if mode and self.partial_bn:
            freeze_bn_except_first(self)  # type: ignore[arg-type]
        return self
