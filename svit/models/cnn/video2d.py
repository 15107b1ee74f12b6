"""What the 2D video networks (ResNet, Inception-v1; TSN / TSM / TAM) share: their options, frames
on the batch axis and the per-frame classifier.

The constructor holds the options and calls the subclass's ``_build`` (every 2D network takes the
same options; the ResNet adds ``depth``). The clip ``(B, 3, T, H, W)`` runs as ``(B*T, 3, H, W)``
through the 2D network (``forward_frames``, which may pool time), comes back as
``(B, C, T', H', W')``, and ``fc`` (``VideoClassifierHead``) classifies every remaining frame and
averages the logits.
"""
from __future__ import annotations

from typing import Any

import torch.nn as nn
from torch import Tensor

from svit.models.cnn.convention import CNNConvention, frames_to_video
from svit.models.cnn.partial_bn import PartialBNMixin
from svit.models.cnn.temporal_modules2d import TemporalModuleSpec


class Video2dNet(PartialBNMixin, CNNConvention, nn.Module):
    """Base of the 2D video classifiers; a subclass builds its layers in ``_build``.

    Args:
        num_frames: frames T per input clip (fixed: temporal modules know their duration).
        num_classes: classifier outputs K.
        dropout: dropout before the per-frame classifier.
        temporal: which temporal module the network's units get.
        without_t_stride: no temporal pooling (else pool time after three of its stages).
        pooling_method: "max" or "avg" temporal pooling.
        partial_bn: freeze all BN layers but the first while training (TSN partial BN).
        **build_args: the subclass's own (the ResNet's ``depth``), handed to ``_build``.
    """

    fc: nn.Module

    def __init__(
        self,
        num_frames: int,
        num_classes: int,
        dropout: float = 0.5,
        temporal: TemporalModuleSpec = TemporalModuleSpec(),
        without_t_stride: bool = True,
        pooling_method: str = "max",
        partial_bn: bool = False,
        **build_args: Any,
    ) -> None:
        super().__init__()
        self.num_frames = num_frames
        self.temporal_spec = temporal
        self.without_t_stride = without_t_stride
        self.partial_bn = partial_bn
        self._build(num_classes, dropout, pooling_method, **build_args)

    def _build(self, num_classes: int, dropout: float, pooling_method: str, **build_args: Any) -> None:
        """Creates the network's modules, ending with the classifier ``fc``."""
        raise NotImplementedError

    def forward_frames(self, x: Tensor) -> Tensor:
        """``(B*T, 3, H, W)`` frames -> the last stage's ``(B*T', C, H', W')`` map."""
        raise NotImplementedError

    def forward_features(self, x: Tensor) -> Tensor:
        """(B, 3, T, H, W) -> last-stage map (B, C, T', H', W') (frames run as a 2D batch)."""
        b, c, t, h, w = x.shape
        if t != self.num_frames:
            raise ValueError(f"{type(self).__name__} was built for {self.num_frames} frames, got {t}")
        return frames_to_video(self.forward_frames(x.transpose(1, 2).reshape(b * t, c, h, w)), b)

    def forward_head(self, features: Tensor) -> Tensor:
        """Per-frame classifier on the spatially pooled map, logits averaged over time."""
        return self.fc(features)
