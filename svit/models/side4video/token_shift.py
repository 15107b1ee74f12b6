"""The [CLS]-token temporal shift of the side blocks.

Each frame's projected backbone CLS becomes an extra key/value of that frame's side attention, but
shifted in time so a frame sees its neighbours' summaries: channels ``[0, D//2)`` come from frame
``t+1`` and channels ``[D//2, D)`` from frame ``t-1``, zeros at the clip ends. No channel stays put.
"""
from __future__ import annotations

import torch


def shift_cls(cls: torch.Tensor, num_frames: int) -> torch.Tensor:
    """``cls (B*T, 1, D)`` (video-major frames) -> shifted ``(B*T, 1, D)``."""
    bt, _, d = cls.shape
    x = cls.reshape(bt // num_frames, num_frames, d)
    fold = d // 2
    out = torch.zeros_like(x)
    out[:, :-1, :fold] = x[:, 1:, :fold]
    out[:, 1:, fold:] = x[:, :-1, fold:]
    return out.reshape(bt, 1, d)
