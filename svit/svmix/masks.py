"""From per-cell mixing logits to soft pixel masks, and the per-frame blend of two clips.

The original upsamples the selector's logits to the input: every feature time step is repeated
s_t = T/T_f times *consecutively* (repeat-interleave, so frames 2τ and 2τ+1 share step τ; tiling
would pair frames with the wrong step), then nearest-neighbour upsampled by s_s = H/H_f in space,
then passed through a float32 sigmoid. The result is the source weight; the target weight is its
complement. Masks are soft: continuous blend weights at the backbone's output stride.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def feature_scales(frames: int, size: tuple[int, int], grid: tuple[int, int, int]) -> tuple[int, int, int]:
    """``(s_t, s_h, s_w)``: input frames / size per feature cell; raises unless they divide exactly."""
    t_f, h_f, w_f = grid
    h, w = size
    if frames % t_f or h % h_f or w % w_f:
        raise ValueError(
            f"SV-Mix needs the input (T={frames}, H={h}, W={w}) to be a whole multiple of the feature "
            f"grid (T_f={t_f}, H_f={h_f}, W_f={w_f}); choose DATA.NUM_FRAMES / crop sizes accordingly"
        )
    return frames // t_f, h // h_f, w // w_f


def pixel_source_weights(logits: Tensor, frames: int, size: tuple[int, int]) -> Tensor:
    """Source weight per pixel ``(B, T, H, W)`` float32 from logits ``(B, T_f, H_f, W_f)``."""
    s_t, s_h, s_w = feature_scales(frames, size, tuple(logits.shape[1:]))
    z = logits.float().repeat_interleave(s_t, dim=1)
    z = F.interpolate(z, scale_factor=(s_h, s_w), mode="nearest")
    return torch.sigmoid(z)


def constant_source_weights(lam: float, shape: tuple[int, ...], device: torch.device) -> Tensor:
    """The extreme-λ fallback: target weight λ and source weight 1 − λ everywhere (plain mixup)."""
    return torch.full(shape, 1.0 - float(lam), dtype=torch.float32, device=device)


def mix_clips(x: Tensor, source_weight: Tensor, perm: Tensor) -> Tensor:
    """``(1 − m) ⊙ x + m ⊙ x[perm]`` per frame and pixel, broadcast over channels.

    ``x`` is ``(B, C, T, H, W)`` (normalised clips), ``source_weight`` ``(B, T, H, W)``.
    """
    m = source_weight.unsqueeze(1)
    return x * (1.0 - m) + x[perm] * m
