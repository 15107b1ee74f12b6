"""Shared classification head of the CNN video baselines (2D and 3D families).

All IBM action-recognition models end the same way: spatial average pooling, then dropout and a
linear classifier applied to every remaining time step (every frame for 2D models), and the logits
are averaged over time. Averaging *logits* (not features) is what the originals do, so the head
must apply the classifier before the temporal mean to reproduce their outputs exactly.

The head subclasses ``nn.Linear`` so that a model storing it as ``self.fc`` exposes exactly the
parameter names ``fc.weight`` / ``fc.bias`` of the original checkpoints and of torchvision's
ImageNet models (which then skip ``fc`` when loading). Dropout holds no parameters, so it adds no
state-dict keys.

API::

    self.fc = VideoClassifierHead(in_features, num_classes, dropout_rate=cfg.MODEL.DROPOUT_RATE)
    logits = self.fc(feats)                      # feats (B, C, T, H, W) -> (B, K)
    logits = self.fc(feats, batch_size=B)        # feats (B*T, C, H, W), frame-major -> (B, K)
    logits = self.fc(feats)                      # feats (B, T, C) or (B, C) -> (B, K)
"""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor


class VideoClassifierHead(nn.Linear):
    """Dropout + linear classifier per time step, logits averaged over time.

    Args:
        in_features: feature channels C entering the classifier.
        num_classes: number of classes K.
        dropout_rate: dropout probability applied to the pooled features (0 disables).
        init_std: when given, weights are drawn from N(0, init_std²) and the bias zeroed (the 3D
            IBM models use 0.001); ``None`` keeps PyTorch's default ``nn.Linear`` init (the 2D
            IBM models).
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        dropout_rate: float = 0.5,
        init_std: float | None = None,
    ) -> None:
        super().__init__(in_features, num_classes)
        self.dropout = nn.Dropout(p=dropout_rate) if dropout_rate > 0 else nn.Identity()
        if init_std is not None:
            nn.init.normal_(self.weight, 0.0, init_std)
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, batch_size: int | None = None) -> Tensor:  # type: ignore[override]
        """Returns logits ``(B, K)``.

        ``x`` may be ``(B, C, T, H, W)`` (3D features), ``(B*T, C, H, W)`` with ``batch_size=B``
        (2D per-frame features, frame index inner: row ``b*T + t``), ``(B, T, C)`` or ``(B, C)``.
        """
        if x.dim() == 5:
            x = x.mean(dim=(3, 4)).transpose(1, 2)  # (B, T, C)
        elif x.dim() == 4:
            if batch_size is None:
                raise ValueError("VideoClassifierHead: 4-D per-frame features need batch_size")
            x = x.mean(dim=(2, 3)).reshape(batch_size, -1, x.shape[1])
        elif x.dim() == 2:
            x = x.unsqueeze(1)
        elif x.dim() != 3:
            raise ValueError(f"VideoClassifierHead: unsupported feature shape {tuple(x.shape)}")
        logits = super().forward(self.dropout(x))  # (B, T, K)
        return logits.mean(dim=1)
